"""The README's definitions on small hand-made streams: the engine gives the values worked out
here by hand, and so does the brute force (which the big comparison then relies on).

Each stream is run twice: in one batch, and one event per batch (the engine keeps its
watermark within a batch and the state keeps it between batches: both must agree).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from streamops.features import feature_set
from streamops.pipeline import Pipeline, load_pipeline
from tests.support.feature_bruteforce import Definitions, assert_features_match, expected_features
from tests.support.feature_streams import START_MS
from tests.support.pipelines import FRAUD
from tests.unit.features.harness import EngineRun

MIN, HOUR = 60_000, 3_600_000
FRAUD_PIPELINE = load_pipeline(FRAUD)


def tx(
    n: int,
    card: str,
    at_ms: int,
    amount: float | None,
    merchant: str | None = "m-00001",
    country: str | None = "DE",
) -> dict[str, Any]:
    """Transaction ``n`` of ``card`` at START_MS + ``at_ms`` (the fields features read)."""
    return {
        "transaction_id": f"tx-{n:016x}",
        "card_id": card,
        "event_time": START_MS + at_ms,
        "amount": amount,
        "merchant_id": merchant,
        "country": country,
    }


def run(
    events: Sequence[dict[str, Any]], one_by_one: bool, pipeline: Pipeline = FRAUD_PIPELINE
) -> dict[int, dict[str, Any]]:
    """The engine's records of ``events`` (all in partition 0, in this order), by the n of
    their id; also checks them against the brute force."""
    engine = EngineRun(feature_set(pipeline), [0])
    landed = [(0, offset, e) for offset, e in enumerate(events)]
    for chunk in [[x] for x in landed] if one_by_one else [landed]:
        engine.batch(chunk)
    positions = [(0, offset) for offset in range(len(events))]
    assert_features_match(
        engine.records, expected_features(events, positions, Definitions.of(pipeline))
    )
    return {int(r["event_id"][3:], 16): r for r in engine.records}


def subset(record: Mapping[str, Any], **want: Any) -> dict[str, Any]:
    return {name: record[name] for name in want}


both_ways = pytest.mark.parametrize("one_by_one", [False, True], ids=["one batch", "per event"])


@both_ways
def test_a_late_event_is_computed_but_changes_no_later_event(one_by_one: bool) -> None:
    got = run(
        [
            tx(1, "card-000001", 0, 10.0),
            tx(2, "card-000002", 30 * MIN, 1.0),  # the watermark: 30 min
            tx(3, "card-000001", 20 * MIN, 30.0),  # 10 min behind: late
            tx(4, "card-000001", 31 * MIN, 50.0),
        ],
        one_by_one,
    )
    assert subset(got[3], late=True, count_10m=1, count_1h=2, sum_amount_1h=40.0) == {
        "late": True,
        "count_10m": 1,
        "count_1h": 2,
        "sum_amount_1h": 40.0,
    }
    assert got[3]["amount_over_mean_1h"] == 1.5
    assert got[3]["seconds_since_previous"] == 1200.0
    # 4 sees 1 but not the late 3, though 3 is in its windows' time span
    assert not got[4]["late"]
    assert (got[4]["count_1h"], got[4]["sum_amount_1h"], got[4]["count_10m"]) == (2, 60.0, 1)
    assert got[4]["seconds_since_previous"] == 31 * 60.0


@both_ways
def test_an_event_within_the_grace_is_placed_in_time_for_later_events(one_by_one: bool) -> None:
    got = run(
        [
            tx(1, "card-000001", 10 * MIN, 10.0, "m-00001"),
            tx(2, "card-000001", 18 * MIN, 20.0, "m-00002"),
            tx(3, "card-000001", 14 * MIN, 30.0, "m-00003"),  # 4 min behind: within grace
            tx(4, "card-000001", 19 * MIN, 40.0, "m-00001"),
        ],
        one_by_one,
    )
    assert not any(r["late"] for r in got.values())
    assert got[2]["count_10m"] == 2, "the record written before 3 arrived is not revised"
    # 3 holds 1 and itself; 2 (18 min) is after its time
    assert (got[3]["count_10m"], got[3]["sum_amount_10m"]) == (2, 40.0)
    assert got[3]["seconds_since_previous"] == 240.0  # since 1, not 2
    four = got[4]
    assert (four["count_10m"], four["sum_amount_10m"], four["mean_amount_10m"]) == (4, 100.0, 25.0)
    assert four["std_amount_10m"] == pytest.approx(125**0.5, rel=1e-12)  # population std
    assert (four["min_amount_10m"], four["max_amount_10m"]) == (10.0, 40.0)
    assert four["amount_over_mean_10m"] == 1.6
    assert four["distinct_merchant_id_10m"] == 3
    assert four["seconds_since_previous"] == 60.0  # since 2, the latest before it in time


@both_ways
def test_earlier_arrivals_at_the_same_time_count_later_ones_do_not(one_by_one: bool) -> None:
    got = run(
        [
            tx(1, "card-000001", 5 * MIN, 7.0, "m-00001"),
            tx(2, "card-000002", 5 * MIN, 9.0, "m-00009"),  # another card: never counts
            tx(3, "card-000001", 5 * MIN, 7.0, "m-00002"),
            tx(4, "card-000001", 5 * MIN, 7.0, "m-00002"),
        ],
        one_by_one,
    )
    assert [got[n]["count_10m"] for n in (1, 3, 4)] == [1, 2, 3]
    assert [got[n]["distinct_merchant_id_1d"] for n in (1, 3, 4)] == [1, 2, 2]
    assert [got[n]["seconds_since_previous"] for n in (1, 2, 3, 4)] == [None, None, 0.0, 0.0]
    assert [got[n]["std_amount_1h"] for n in (1, 3, 4)] == [0.0, 0.0, 0.0]
    assert got[4]["amount_over_mean_1d"] == 1.0
    # 2026-01-01 00:05 UTC, a Thursday
    assert (got[4]["hour_of_day"], got[4]["day_of_week"]) == (0, 3)


@both_ways
def test_nulls_are_left_out_of_every_aggregate(one_by_one: bool) -> None:
    got = run(
        [
            tx(1, "card-000001", 0, None, None, None),
            tx(2, "card-000001", MIN, 4.0, "m-00001", None),
            tx(3, "card-000001", 2 * MIN, None, "m-00001", "FR"),
            tx(4, "card-000002", 3 * MIN, 0.0),
            tx(5, "card-000002", 4 * MIN, 0.0),
        ],
        one_by_one,
    )
    nothing = {"count_1h": 1, "sum_amount_1h": 0.0, "mean_amount_1h": None, "std_amount_1h": None}
    nothing |= {"min_amount_1h": None, "max_amount_1h": None, "amount_over_mean_1h": None}
    nothing |= {"distinct_merchant_id_1h": 0, "distinct_country_1h": 0}
    assert subset(got[1], **nothing) == nothing
    assert subset(got[2], count_1h=2, sum_amount_1h=4.0, mean_amount_1h=4.0, std_amount_1h=0.0) == {
        "count_1h": 2,
        "sum_amount_1h": 4.0,
        "mean_amount_1h": 4.0,
        "std_amount_1h": 0.0,
    }
    assert (got[2]["amount_over_mean_1h"], got[2]["distinct_country_1h"]) == (1.0, 0)
    assert (got[3]["count_1h"], got[3]["mean_amount_1h"], got[3]["amount_over_mean_1h"]) == (
        3,
        4.0,
        None,
    )
    assert (got[3]["distinct_merchant_id_1h"], got[3]["distinct_country_1h"]) == (1, 1)
    assert got[5]["mean_amount_1h"] == 0.0 and got[5]["amount_over_mean_1h"] is None


@both_ways
def test_a_late_event_sees_only_rows_within_the_horizon(one_by_one: bool) -> None:
    got = run(
        [
            tx(1, "card-000001", 0, 1.0),
            tx(2, "card-000001", 2 * MIN, 2.0),
            tx(3, "card-000002", 24 * HOUR + 6 * MIN, 5.0),  # W - H is now 1 min
            tx(4, "card-000001", 10 * MIN, 4.0),  # late
        ],
        one_by_one,
    )
    assert got[4]["late"]
    # its 1d window (t - 24h, t] spans 1 too, but 1 is behind the horizon: gone
    assert (got[4]["count_1d"], got[4]["sum_amount_1d"]) == (2, 6.0)
    assert got[4]["seconds_since_previous"] == 480.0
    assert (got[3]["hour_of_day"], got[3]["day_of_week"]) == (0, 4)  # Friday


def test_hour_and_day_are_taken_in_the_spec_time_zone() -> None:
    spec = FRAUD_PIPELINE.spec
    assert spec.features is not None
    kolkata = spec.features.model_copy(update={"timezone": "Asia/Kolkata"})  # UTC+05:30
    pipeline = dataclasses.replace(
        FRAUD_PIPELINE, spec=spec.model_copy(update={"features": kolkata})
    )
    got = run(
        [
            tx(1, "card-000001", 0, 1.0),  # Thursday 05:30 there
            tx(2, "card-000001", 18 * HOUR + 29 * MIN, 1.0),  # Thursday 23:59
            tx(3, "card-000001", 18 * HOUR + 30 * MIN, 1.0),  # Friday 00:00
        ],
        False,
        pipeline,
    )
    assert [(got[n]["hour_of_day"], got[n]["day_of_week"]) for n in (1, 2, 3)] == [
        (5, 3),
        (23, 3),
        (0, 4),
    ]


def test_a_batch_in_which_time_jumps_past_the_horizon() -> None:
    # a partition quiet for more than a day (24h05m) within one batch, e.g. a replay
    got = run(
        [tx(1, "card-000001", 0, 1.0), tx(2, "card-000002", 24 * HOUR + 10 * MIN, 2.0)], False
    )
    assert (got[1]["count_1d"], got[2]["count_1d"]) == (1, 1)
