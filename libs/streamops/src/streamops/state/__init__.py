"""Keyed, per-partition state for stream stages, backed by compacted changelog topics.

Declare the stores, give the `StageState` to the `Stage`, and read and write through
``state.partition(store, record.partition)`` inside the transform::

    state = StageState([StoreSpec("counts", ttl_ms=86_400_000)])

    def count(records):
        for r in records:
            part = state.partition("counts", r.partition)
            part.set(r.key, part.get(r.key, 0) + 1, time_ms=r.timestamp_ms)
        return BatchResult()

    Stage("p.counter", inputs=[...], outputs={...}, transform=count, state=state, ...)

Guarantees (README of the library): a batch's writes reach the store only after its
changelog records are committed in one transaction with its input offsets (and, under
exactly-once, its outputs); an aborted batch leaves no trace; a partition is restored
from its changelog before its first batch, and dropped when revoked.
"""

from streamops.state.base import PartitionStore, StateFullError
from streamops.state.manager import StageState
from streamops.state.partition import PartitionState
from streamops.state.settings import StateSettings, StoreSpec

__all__ = [
    "PartitionState",
    "PartitionStore",
    "StageState",
    "StateFullError",
    "StateSettings",
    "StoreSpec",
]
