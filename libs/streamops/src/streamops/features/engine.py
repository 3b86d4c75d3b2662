"""The features of a batch of events against one partition's state: the service's step.

Each entity's rows are read from the store once per batch, every event of the batch is
computed in arrival order (`WindowComputer`), and each changed entity is written back once,
without the rows that fell behind the horizon. The partition's watermark (its newest
event time, kept by the state) decides which events are late.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from streamops.features.compute import Rows, WindowComputer, evict, new_rows
from streamops.features.definition import FeatureSet
from streamops.state import PartitionState, StoreSpec

#: The store holding every entity's rows; its changelog is what the online view reads.
STORE = "windows"

#: One event as the engine needs it: entity key, event time (ms), its field values.
Event = tuple[str, int, Sequence[Any]]


def feature_store(features: FeatureSet) -> StoreSpec:
    """The store of the entities' rows: an entity idle for the horizon has nothing left."""
    return StoreSpec(STORE, ttl_ms=features.horizon_ms)


class FeatureEngine:
    """Applies events to the entities' rows in a partition's state, returning their vectors."""

    def __init__(self, features: FeatureSet) -> None:
        self.features = features
        self.computer = WindowComputer(features)
        self._columns = len(features.fields)

    def apply(self, part: PartitionState, events: Sequence[Event]) -> list[tuple[list[Any], bool]]:
        """The (vector, late) of each event, in order; on-time events join the state."""
        compute, horizon = self.computer.compute, self.features.horizon_ms
        watermark = part.watermark_ms
        rows_of: dict[str, Rows] = {}
        changed: set[str] = set()
        out = []
        for key, time_ms, values in events:
            rows = rows_of.get(key)
            if rows is None:
                rows = rows_of[key] = part.get(key) or new_rows(self._columns)
            vector, late = compute(rows, time_ms, values, watermark)
            if not late:
                changed.add(key)
                if watermark is None or time_ms > watermark:
                    watermark = time_ms
            out.append((vector, late))
        if watermark is not None:
            for key in changed:
                rows = rows_of[key]
                evict(rows, watermark - horizon)
                if rows[0]:
                    part.set(key, rows, time_ms=rows[0][-1])
                else:  # the partition's time passed the entity's newest event by the horizon
                    part.delete(key)
        return out
