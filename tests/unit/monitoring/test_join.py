"""The label join's list of predictions due for a negative label: chunked, so that a busy
interval's batches do not write all of its event ids again each time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from streamops.pipeline import Pipeline, load_pipeline
from streamops.state import PartitionState
from streamops.state.memory import MemoryStore
from streamops.state.records import ChangelogRecord, decode_entry
from streamops_monitoring.join import DUE_CHUNK, LabelJoin
from streamops_monitoring.service import timing
from tests.unit.monitoring.harness import T0
from tests.unit.monitoring.test_labelled import prediction

FRAUD = Path(__file__).resolve().parents[3] / "deploy" / "pipelines" / "fraud.yaml"
DAY = 24 * 3_600_000


@pytest.fixture(scope="module")
def fraud() -> Pipeline:
    return load_pipeline(FRAUD)


def _commit(pending: PartitionState) -> list[ChangelogRecord]:
    """What the runtime does after a batch: the changelog records, then into the store."""
    changes, records, _ = pending.changelog("pending-changelog")
    pending.store.write(changes, {})
    pending.clear(committed=True)
    return records


def _clock() -> dict[str, Any]:
    return {"wm": None, "by": {}, "next": None, "open": [], "due": [], "late": 0}


def _ids_written(records: list[ChangelogRecord]) -> int:
    """Event ids in the due lists a batch wrote."""
    return sum(
        len(decode_entry(r.value)[1])
        for r in records
        if r.key is not None and b"d:" in r.key and r.value is not None
    )


def test_a_busy_intervals_due_ids_are_written_once_each_and_all_labelled(
    fraud: Pipeline,
) -> None:
    join = LabelJoin(timing(fraud), "binary")
    pending = PartitionState("pending", 0, MemoryStore(with_ttl=True))
    clock = _clock()
    batches, per_batch = 12, 500  # 6,000 predictions in one interval of event time
    written = []
    for b in range(batches):
        rows = [prediction(f"e{b}-{i}", T0 + b * 1000 + i, 0.1) for i in range(per_batch)]
        join.hold(pending, clock, rows, [r["event_time"] for r in rows])
        written.append(_ids_written(_commit(pending)))
    # each batch wrote its own ids and the open chunk, never the interval's whole list
    assert max(written) < DUE_CHUNK + per_batch
    assert sum(written) < 2 * batches * per_batch
    assert clock["due"] == [T0 - T0 % join.timing.step_ms]
    assert clock["sealed"] == {str(clock["due"][0]): batches * per_batch // DUE_CHUNK}
    # past the delay (labels read that far too): every one of them is labelled negative,
    # and the due lists are gone
    clock["wm"] = clock["labels"] = T0 + 4 * DAY
    outcomes = join.negatives(pending, clock)
    assert len(outcomes) == batches * per_batch and {o[5] for o in outcomes} == {"0"}
    assert clock["due"] == [] and clock["sealed"] == {}
    records = _commit(pending)
    assert {r.value for r in records if b"d:" in r.key} == {None}  # deleted, every chunk
    assert pending.store.get(b"d:%d" % (T0 - T0 % join.timing.step_ms)) is None


def test_a_due_list_of_an_older_version_still_labels_its_predictions(fraud: Pipeline) -> None:
    # state written before the lists were chunked: every id under d:{bucket}, no "sealed"
    join = LabelJoin(timing(fraud), "binary")
    pending = PartitionState("pending", 0, MemoryStore(with_ttl=True))
    bucket = T0 - T0 % join.timing.step_ms
    ids = [f"old-{i}" for i in range(2 * DUE_CHUNK + 7)]
    for i in ids:
        pending.set(f"p:{i}", [T0, [[1, "CHAMPION", 0.1, "0"]]], time_ms=T0)
    pending.set(f"d:{bucket}", ids, time_ms=T0)
    _commit(pending)
    clock = {**_clock(), "due": [bucket], "wm": T0 + 4 * DAY, "labels": T0 + 4 * DAY}
    outcomes = join.negatives(pending, clock)
    assert sorted(o[1] for o in outcomes) == [1] * len(ids) and clock["due"] == []
