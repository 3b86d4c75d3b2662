"""A busy entity's rows kept from batch to batch never outlive a batch that did not happen."""

from __future__ import annotations

from typing import Any

import pytest

from streamops.features import STORE, feature_set
from streamops.features.stats import LONG
from streamops.pipeline import load_pipeline
from tests.support.pipelines import FRAUD
from tests.unit.features.harness import EngineRun

T0 = 1_767_225_600_000


def _event(n: int) -> dict[str, Any]:
    return {
        "transaction_id": f"tx-{n:016x}",
        "card_id": "card-000001",
        "event_time": T0 + n * 60_000,
        "amount": 10.0 + n % 5,
        "merchant_id": f"m-{n % 7:05d}",
        "country": "FR",
    }


@pytest.mark.parametrize("failure", ["in the engine", "after it"])
def test_a_batch_that_failed_leaves_nothing_of_itself_in_the_kept_rows(failure: str) -> None:
    features = feature_set(load_pipeline(FRAUD))
    run, fresh = EngineRun(features, {0}), EngineRun(features, {0})
    first = [(0, n, _event(n)) for n in range(LONG + 20)]  # a busy card: its rows are kept
    run.batch(first)
    fresh.batch(first)
    part = run.state.partition(STORE, 0)
    events = [_event(n) for n in range(LONG + 20, LONG + 23)]
    bad = [*events, _event(LONG + 23)] if failure == "in the engine" else events
    run.state.begin()
    if failure == "in the engine":
        bad[-1]["merchant_id"] = {"not": "hashable"}  # distinct of a dict raises
        with pytest.raises(TypeError):
            run.engine.apply(part, [_engine_event(e) for e in bad])
    else:
        run.engine.apply(part, [_engine_event(e) for e in bad])
    run.state.rollback()  # the batch is dropped: the runtime starts it again
    again = [(0, LONG + 20 + i, e) for i, e in enumerate(events)]
    assert run.batch(again) == fresh.batch(again)


def _engine_event(e: dict[str, Any]) -> tuple[str, int, list[Any], list[Any]]:
    """As the featurizer hands an event to the engine (the fraud spec's fields)."""
    passthrough = [e.get(f) for f in ("amount", "channel", "country", "merchant_category")]
    return e["card_id"], e["event_time"], [e["amount"], e["merchant_id"], e["country"]], passthrough
