"""The features engine as the service runs it, without Kafka: a `StageState` on the memory
store, one `FeatureEngine.apply` per partition and batch, each batch committed to an
in-memory changelog (which a new state can restore from, as a restarted service would)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from prometheus_client import CollectorRegistry

from streamops.features import STORE, FeatureEngine, FeatureSet, feature_store
from streamops.state import StageState, StateSettings
from tests.unit.state.fakes import FakeChangelog, commit_batch

INPUT = "fraud.events.valid"
STAGE = "fraud.features"

#: One landed event: (partition, offset, event)
Landed = tuple[int, int, Mapping[str, Any]]


class EngineRun:
    """Feeds batches to the engine and keeps every record it computed, by event id."""

    def __init__(self, features: FeatureSet, partitions: Iterable[int]) -> None:
        self.features = features
        self.engine = FeatureEngine(features)
        self.partitions = frozenset(partitions)
        self.changelog = FakeChangelog()
        self.records: list[dict[str, Any]] = []
        self.state = self._new_state()

    def _new_state(self) -> StageState:
        state = StageState(
            [feature_store(self.features)],
            StateSettings(backend="memory"),
            consumer_factory=self.changelog.consumer,  # type: ignore[arg-type]
        )
        state.bind(STAGE, CollectorRegistry())
        state.assign(self.partitions, {})
        return state

    def restart(self) -> None:
        """Drop the state and restore it from the changelog, as a restarted service does."""
        self.state.close()
        self.state = self._new_state()

    def batch(self, landed: Sequence[Landed]) -> list[dict[str, Any]]:
        """Apply one batch (events of any partitions, each partition's in offset order) and
        commit it; returns its records, as the service would write them."""
        fs = self.features
        self.state.begin()
        out: list[dict[str, Any]] = []
        offsets: dict[tuple[str, int], int] = {}
        for p in sorted({p for p, _, _ in landed}):
            mine = [(o, e) for q, o, e in landed if q == p]
            events = [
                (
                    e[fs.key_field],
                    e[fs.time_field],
                    [e[f] for f in fs.fields],
                    [e.get(f) for f in fs.spec.passthrough],
                )
                for _, e in mine
            ]
            vectors = self.engine.apply(self.state.partition(STORE, p), events)
            for (offset, e), (vector, late) in zip(mine, vectors, strict=True):
                record = {
                    "event_id": e[fs.id_field],
                    "entity_key": e[fs.key_field],
                    "event_time": e[fs.time_field],
                    "source_topic": INPUT,
                    "source_partition": p,
                    "source_offset": offset,
                    "late": late,
                }
                record.update(zip(fs.names, vector, strict=True))
                out.append(record)
            offsets[(INPUT, p)] = mine[-1][0] + 1
        commit_batch(self.state, self.changelog, offsets)
        self.records += out
        return out
