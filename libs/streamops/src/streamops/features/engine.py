"""The features of a batch of events against one partition's state: the service's step.

Each entity's rows are read from the store once per batch (with running aggregates of its
long windows, kept for the batch), every event of the batch is computed in arrival order
(`WindowComputer`), and each changed entity is written back once,
without the rows that fell behind the horizon. The partition's watermark (its newest
event time, kept by the state) decides which events are late.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from streamops.features.compute import Rows, WindowComputer, evict, new_rows
from streamops.features.definition import FeatureSet
from streamops.features.running import RunningWindows
from streamops.features.stats import LONG
from streamops.state import PartitionState, StoreSpec

#: The store holding every entity's rows; its changelog is what the online view reads.
STORE = "windows"

#: One event as the engine needs it: entity key, event time (ms), its values of
#: `FeatureSet.fields` (what the windows read) and of the passthrough fields.
Event = tuple[str, int, Sequence[Any], Sequence[Any]]
#: An entity as the engine holds it during a batch: its rows and their running aggregates.
Entity = tuple[Rows, RunningWindows]


def feature_store(features: FeatureSet) -> StoreSpec:
    """The store of the entities' rows: an entity idle for the horizon has nothing left."""
    return StoreSpec(STORE, ttl_ms=features.horizon_ms)


class FeatureEngine:
    """Applies events to the entities' rows in a partition's state, returning their vectors."""

    def __init__(self, features: FeatureSet) -> None:
        self.features = features
        self.computer = WindowComputer(features)
        self._columns = len(features.fields)
        #: partition -> (its state, its generation then, the entities kept): entities of
        #: more than `LONG` rows keep their rows and running aggregates from one batch to
        #: the next, until the state drops a batch or is restored (its generation moves)
        self._kept: dict[int, tuple[PartitionState, int, dict[str, Entity]]] = {}

    def _take_kept(self, part: PartitionState) -> dict[str, Entity]:
        """The partition's kept entities, taken out while a batch changes them: a batch that
        raises half-way leaves none behind (its rows were changed in place)."""
        found = self._kept.pop(part.partition, None)
        if found is None or found[0] is not part or found[1] != part.generation:
            return {}
        return found[2]

    def apply(self, part: PartitionState, events: Sequence[Event]) -> list[tuple[list[Any], bool]]:
        """The (vector, late) of each event, in order; on-time events join the state."""
        compute, horizon = self.computer.compute, self.features.horizon_ms
        watermark = part.watermark_ms
        kept = self._take_kept(part)
        rows_of: dict[str, Entity] = {}
        changed: set[str] = set()
        out = []
        for key, time_ms, values, passthrough in events:
            got = rows_of.get(key)
            if got is None:
                got = kept.get(key)
                if got is None:
                    got = (part.get(key) or new_rows(self._columns), self.computer.running())
                rows_of[key] = got
            rows, running = got
            vector, late = compute(rows, time_ms, values, watermark, True, running, passthrough)
            if not late:
                changed.add(key)
                if watermark is None or time_ms > watermark:
                    watermark = time_ms
            out.append((vector, late))
        if watermark is not None:
            for key in changed:
                rows, running = rows_of[key]
                cut = bisect_right(rows[0], watermark - horizon)
                if cut:
                    running.evicting(rows, cut)
                    evict(rows, watermark - horizon)
                if rows[0]:
                    part.set(key, rows, time_ms=rows[0][-1])
                else:  # the partition's time passed the entity's newest event by the horizon
                    part.delete(key)
                if len(rows[0]) > LONG:
                    kept[key] = (rows, running)
                else:
                    kept.pop(key, None)
        self._kept[part.partition] = (part, part.generation, kept)
        return out
