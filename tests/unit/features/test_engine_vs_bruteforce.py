"""The engine against the brute force on 20,000 generated events: every record, every value.

The in-unit version of tests/integration/features/: the same generator and oracle, the
engine driven as the service drives it (a memory `StageState`, batches of a few hundred
events per partition, each committed), and restarted once from its changelog halfway.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from streamops.features import feature_set
from streamops.pipeline import Pipeline, load_pipeline
from tests.support.feature_bruteforce import (
    Definitions,
    assert_demanding,
    assert_features_match,
    expected_features,
    feature_mismatches,
)
from tests.support.feature_streams import HOUR_MS, landing, transaction_stream
from tests.support.pipelines import FRAUD
from tests.unit.features.harness import EngineRun, Landed

PARTITIONS = 3


def batches(landed: Sequence[Landed], seed: int) -> list[list[Landed]]:
    """Each partition's events in offset order, cut into batches of 100-500 per partition."""
    rng = random.Random(seed)
    queues = [[x for x in landed if x[0] == p] for p in range(PARTITIONS)]
    out = []
    while any(queues):
        batch = []
        for p, queue in enumerate(queues):
            take = rng.randint(100, 500)
            batch += queue[:take]
            queues[p] = queue[take:]
        out.append(batch)
    return out


#: with the native kernel where it is installed, and in Python alone (where it is not)
PATHS = pytest.mark.parametrize("native", [True, False], ids=["native", "python"])


def _engine(pipeline: Pipeline, native: bool) -> EngineRun:
    engine = EngineRun(feature_set(pipeline), range(PARTITIONS))
    if not native:
        engine.engine.computer.kernel = None
    return engine


@PATHS
def test_20k_events_in_batches_match_the_brute_force(native: bool) -> None:
    pipeline = load_pipeline(FRAUD)
    events = transaction_stream(20_000, seed=42, span_ms=26 * HOUR_MS)
    positions = landing(events, PARTITIONS)
    expected = expected_features(events, positions, Definitions.of(pipeline))
    assert_demanding(expected)

    engine = _engine(pipeline, native)
    landed = [(p, o, e) for (p, o), e in zip(positions, events, strict=True)]
    work = batches(landed, seed=7)
    for n, batch in enumerate(work):
        if n == len(work) // 2:
            engine.restart()  # restored from the changelog, as after a crash
        engine.batch(batch)
    assert_features_match(engine.records, expected)


@PATHS
def test_nullable_fields_match_the_brute_force(native: bool) -> None:
    """Not valid on events.valid, but the definitions cover nulls: 3% of each field."""
    pipeline = load_pipeline(FRAUD)
    events = transaction_stream(5_000, seed=3, busy_share=0.05, null_share=0.03)
    positions = landing(events, PARTITIONS)
    expected = expected_features(events, positions, Definitions.of(pipeline))
    assert expected["mean_amount_10m"].isna().sum() > 50
    engine = _engine(pipeline, native)
    for batch in batches([(p, o, e) for (p, o), e in zip(positions, events, strict=True)], 1):
        engine.batch(batch)
    assert_features_match(engine.records, expected)


def test_the_comparison_fails_on_any_difference() -> None:
    pipeline = load_pipeline(FRAUD)
    events = transaction_stream(300, seed=5, cards=20, busy_share=0.1)
    positions = landing(events, PARTITIONS)
    expected = expected_features(events, positions, Definitions.of(pipeline))
    engine = EngineRun(feature_set(pipeline), range(PARTITIONS))
    engine.batch([(p, o, e) for (p, o), e in zip(positions, events, strict=True)])
    records = engine.records
    assert feature_mismatches(records, expected) == []

    some = next(i for i, r in enumerate(records) if r["count_1h"] > 1 and r["std_amount_1h"])
    tweaks: dict[str, Callable[[Any], Any]] = {
        "sum_amount_1h": lambda v: v * (1 + 3e-9),  # beyond 1e-9 relative
        "count_10m": lambda v: v + 1,
        "distinct_country_1d": float,  # right value, wrong type
        "late": lambda v: not v,
        "mean_amount_1d": lambda v: None,
        "std_amount_1h": lambda v: float("nan"),
    }
    for column, tweak in tweaks.items():
        changed = [dict(r) for r in records]
        changed[some][column] = tweak(changed[some][column])
        [problem] = feature_mismatches(changed, expected)
        assert f"by column: {{'{column}': 1}}" in problem, problem
    within = [dict(r) for r in records]
    within[some]["sum_amount_1h"] *= 1 + 5e-10
    assert feature_mismatches(within, expected) == []
    # a std of equal values is 0; the rounding noise of a mean is accepted, no more
    zero = next(i for i, r in enumerate(records) if r["count_1d"] > 1 and r["std_amount_1d"] == 0)
    noise = 1e-16 * records[zero]["max_amount_1d"]
    for std, problems in ((noise, 0), (1e-8 * records[zero]["max_amount_1d"], 1)):
        changed = [dict(r) for r in records]
        changed[zero]["std_amount_1d"] = std
        assert len(feature_mismatches(changed, expected)) == problems, std
    assert "more than one record" in feature_mismatches([*records, records[0]], expected)[0]
    assert "1 events without a record" in feature_mismatches(records[1:], expected)[0]
