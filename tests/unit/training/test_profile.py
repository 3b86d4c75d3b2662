"""The reference profile: ModelVersion.ReferenceProfile's shape, and numbers that add up."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
from fastavro import parse_schema
from fastavro.validation import validate

from streamops.drift import binning
from streamops.drift.stats import psi
from streamops_training.frame import Frame
from streamops_training.profile import categorical_profile, numeric_profile, reference_profile
from tests.support.pipelines import REPO


def _reference_profile_schema() -> Any:
    model_version = json.loads((REPO / "schemas" / "platform" / "ModelVersion.avsc").read_text())
    field = next(f for f in model_version["fields"] if f["name"] == "reference_profile")
    return parse_schema({**field["type"], "namespace": "streamops.platform"})


def _frame() -> Frame:
    rng = np.random.default_rng(0)
    amount = rng.lognormal(3, 1, 1000).astype(np.float32)
    amount[:100] = np.nan
    channel = rng.choice(
        np.array(["web", "pos", "atm", ""], dtype=object), 1000, p=[0.5, 0.3, 0.1, 0.1]
    )
    data = pd.DataFrame(
        {"amount": amount, "count_1h": np.zeros(1000, np.float32), "channel": channel}
    )
    return Frame(data, ("amount", "count_1h"), ("channel",))


def test_the_profile_is_a_valid_reference_profile_record() -> None:
    frame = _frame()
    prediction = numeric_profile("prediction", np.linspace(0, 1, 500))
    profile = reference_profile(frame, prediction)
    assert validate(profile, _reference_profile_schema(), raise_errors=True)
    assert [f["name"] for f in profile["features"]] == ["amount", "count_1h", "channel"]
    assert profile["record_count"] == 1000


def test_numbers_have_counts_quantiles_and_a_histogram_that_add_up() -> None:
    amount = numeric_profile("amount", _frame().data["amount"].to_numpy())
    assert (amount["count"], amount["null_count"]) == (900, 100)
    stats = amount["numeric"]
    assert sum(stats["bin_counts"]) == 900
    assert len(stats["bin_edges"]) == len(stats["bin_counts"]) + 1 == 11
    assert stats["bin_edges"] == sorted(stats["bin_edges"])
    levels = [q["level"] for q in stats["quantiles"]]
    values = [q["value"] for q in stats["quantiles"]]
    assert 0.5 in levels and values == sorted(values)
    assert stats["min"] <= values[0] and values[-1] <= stats["max"]
    # a constant feature still has two edges; an all-null one has no statistics
    constant = numeric_profile("c", np.zeros(10))["numeric"]
    assert constant["bin_edges"] == [0.0, 1.0] and constant["bin_counts"] == [10]
    assert numeric_profile("n", np.full(3, np.nan))["numeric"] is None


def test_categories_count_the_top_values_and_the_rest() -> None:
    values = np.array(
        ["web"] * 5 + ["pos"] * 3 + [f"rare{i}" for i in range(60)] + [""] * 2, dtype=object
    )
    channel = categorical_profile("channel", values)
    assert (channel["count"], channel["null_count"]) == (68, 2)
    frequencies = channel["categorical"]["frequencies"]
    assert list(frequencies)[:2] == ["web", "pos"] and len(frequencies) == 50
    assert sum(frequencies.values()) + channel["categorical"]["other_count"] == 68


def test_a_feature_that_looks_back_is_profiled_once_its_window_is_full() -> None:
    hour = 3_600_000
    times = np.arange(3000, dtype=np.int64) * (hour // 1000)  # 1,000 rows an hour, 3 hours
    count = np.minimum(times // (hour // 10), 10).astype(float)  # fills over the first hour
    frame = Frame(
        pd.DataFrame({"event_time": times, "count_1h": count, "amount": count}),
        ("count_1h", "amount"),
        (),
    )
    profile = reference_profile(frame, None, {"count_1h": hour})
    by_name = {f["name"]: f for f in profile["features"]}
    assert by_name["count_1h"]["count"] == 2000  # the rows after the first hour
    assert by_name["count_1h"]["numeric"]["min"] == 10.0
    assert by_name["amount"]["count"] == 3000  # not a looking-back feature: every row


def test_rows_long_after_the_stream_started_are_full_whatever_the_lookback() -> None:
    hour = 3_600_000
    times = np.arange(1000, dtype=np.int64) * (hour // 1000) + 5 * hour  # 5 h after the start
    frame = Frame(pd.DataFrame({"event_time": times, "count_1h": np.ones(1000)}), ("count_1h",), ())
    profile = reference_profile(frame, None, {"count_1h": hour}, stream_start_ms=0)
    assert profile["features"][0]["count"] == 1000


def _entities(count: int, hours: int, gap_ms: float, horizon_ms: int) -> pd.DataFrame:
    """Events of ``count`` entities from the stream's start (0) on, one per ``gap_ms`` on
    average, with the seconds since the entity's previous event as the feature engine
    gives them: null for its first event and when the previous is beyond the horizon."""
    rng = np.random.default_rng(1)
    frames = []
    for _ in range(count):
        times = np.cumsum(rng.exponential(gap_ms, int(3 * hours * 3_600_000 / gap_ms)))
        times = times[times < hours * 3_600_000].astype(np.int64)
        gaps = np.diff(times, prepend=-horizon_ms - 1).astype(float)
        frames.append(pd.DataFrame({"event_time": times, "seconds_since_previous": gaps / 1000}))
    data = pd.concat(frames).sort_values("event_time", kind="stable", ignore_index=True)
    beyond = data["seconds_since_previous"] > horizon_ms / 1000
    data.loc[beyond, "seconds_since_previous"] = np.nan
    return data


def test_a_first_model_without_full_training_rows_profiles_its_full_later_rows() -> None:
    # the demo's first model: trained on the stream's first hour, where the time since a
    # card's previous event is cut short by the stream's start (median 856 s, 1,700 s once
    # the 65 min horizon is full): monitoring then saw a PSI of 0.41 on ordinary traffic
    minute, horizon = 60_000, 65 * 60_000
    data = _entities(600, 5, 30 * minute, horizon)
    times, ssp = data["event_time"].to_numpy(), data["seconds_since_previous"].to_numpy()
    frame = Frame(data, ("seconds_since_previous",), ())

    def part(lo: int, hi: int) -> Frame:
        return frame.take((times >= lo * minute) & (times < hi * minute))

    train, validation, holdout = part(0, 61), part(61, 73), part(73, 100)
    served = ssp[times >= 180 * minute]  # ordinary traffic, hours later

    def drift(profile: dict[str, Any]) -> float:
        b = binning(profile)
        assert b is not None
        return float(psi(np.asarray(b.count(served.tolist())), b.expected))

    filling = {"seconds_since_previous": horizon}
    profile = reference_profile(train, None, filling, 0, (validation, holdout))
    assert profile["record_count"] == len(train.data)  # still the training rows
    ssp_profile = profile["features"][0]
    full = ssp[(times >= horizon) & (times < 100 * minute)]
    assert ssp_profile["count"] == np.count_nonzero(~np.isnan(full)) > 0
    assert ssp_profile["numeric"]["max"] > 61 * 60  # beyond the training rows' reach
    assert drift(ssp_profile) < 0.1
    # what the training rows alone would have said: a drift on ordinary traffic
    assert drift(numeric_profile("s", train.data["seconds_since_previous"].to_numpy())) > 0.1

    # too few full rows in the whole training window: no reference, so the feature is not
    # tested, rather than one of the filling rows' values
    early = reference_profile(train, None, filling, 0, (validation,))["features"][0]
    assert (early["count"], early["numeric"]) == (0, None) and binning(early) is None
