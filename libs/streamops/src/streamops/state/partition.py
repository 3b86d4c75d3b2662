"""What a transform sees of one store partition during a batch: reads through, writes buffered.

Writes stay in the batch's buffer until the runtime has made the batch durable (its
changelog records, and with a transaction its outputs and offsets); only then do they
reach the store. An aborted or failed batch simply drops the buffer: that is the rollback.

Values are anything msgpack can write (None, bool, int, float, str, bytes, lists, dicts
with str keys). `get` returns a fresh copy: change it, then `set` it again, or the change
is lost when the batch ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from streamops.state.base import Change, PartitionStore
from streamops.state.records import (
    DATA_PREFIX,
    ChangelogRecord,
    decode_entry,
    pack_entry,
    state_key,
)

_MISSING = object()
#: A buffered write: (event time or None, value), or None for a deletion.
Write = tuple[int | None, Any] | None


class PartitionState:
    """Reads and buffered writes of one partition of one store, for the current batch."""

    def __init__(self, store_name: str, partition: int, store: PartitionStore) -> None:
        self.store_name = store_name
        self.partition = partition
        self.store = store
        self._writes: dict[bytes, Write] = {}
        #: (key, previous buffered write or _MISSING) since the last savepoint, newest last
        self._journal: list[tuple[bytes, Any]] | None = None
        #: the highest event time written so far (committed or buffered); drives the TTL
        self.watermark_ms: int | None = None
        self._committed_watermark_ms: int | None = None
        self._savepoint_watermark_ms: int | None = None
        #: changes whenever buffered writes are dropped or the store is restored: a value a
        #: transform kept from an earlier batch may then no longer be the stored one
        self.generation = 0

    # -- the transform's side ----------------------------------------------------------

    def get(self, key: str | bytes, default: Any = None) -> Any:
        """The value of ``key`` as of this point of the batch, or ``default``."""
        k = state_key(key)
        write = self._writes.get(k, _MISSING)
        if write is not _MISSING:
            return default if write is None else write[1]  # type: ignore[index]
        data = self.store.get(k)
        return default if data is None else decode_entry(data)[1]

    def set(self, key: str | bytes, value: Any, time_ms: int | None = None) -> None:
        """Write ``value`` (``time_ms``: its event time, from which the store's TTL counts)."""
        k = state_key(key)
        self._remember(k)
        self._writes[k] = (time_ms, value)
        if time_ms is not None and (self.watermark_ms is None or time_ms > self.watermark_ms):
            self.watermark_ms = time_ms

    def delete(self, key: str | bytes) -> None:
        """Remove ``key`` (a no-op for a key that does not exist)."""
        k = state_key(key)
        self._remember(k)
        self._writes[k] = None

    def __contains__(self, key: str | bytes) -> bool:
        return self.get(key, _MISSING) is not _MISSING

    # -- the runtime's side ------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        return bool(self._writes)

    def written_keys(self) -> Iterator[bytes]:
        return iter(self._writes)

    def set_keys(self) -> Iterator[bytes]:
        """Keys the batch gives a value (not the ones it deletes)."""
        return (k for k, w in self._writes.items() if w is not None)

    @property
    def written_count(self) -> int:
        return len(self._writes)

    def changelog(self, topic: str) -> tuple[dict[bytes, Change], list[ChangelogRecord], int]:
        """The batch's writes as the store takes them, as changelog records, and their bytes."""
        changes: dict[bytes, Change] = {}
        records: list[ChangelogRecord] = []
        size = 0
        partition, pack, append = self.partition, pack_entry, records.append
        for k, w in self._writes.items():
            key = DATA_PREFIX + k
            if w is None:
                changes[k] = None
                append(ChangelogRecord(topic, partition, key, None))
                size += len(key)
            else:
                data: bytes = pack(w)
                changes[k] = (w[0], data)
                append(ChangelogRecord(topic, partition, key, data))
                size += len(key) + len(data)
        return changes, records, size

    def savepoint(self) -> None:
        """Start journaling, so that `rollback_to_savepoint` can undo what follows."""
        self._journal = []
        self._savepoint_watermark_ms = self.watermark_ms

    def rollback_to_savepoint(self) -> None:
        """Undo the writes since `savepoint` (a record's, when a batch is redone one by one)."""
        if self._journal:
            self.generation += 1
        for k, previous in reversed(self._journal or []):
            if previous is _MISSING:
                self._writes.pop(k, None)
            else:
                self._writes[k] = previous
        self._journal = []
        self.watermark_ms = self._savepoint_watermark_ms  # the record's times do not count

    def clear(self, committed: bool) -> None:
        """Drop the buffer: after a commit (it is in the store) or an abort (it never happened)."""
        if committed:
            self._committed_watermark_ms = self.watermark_ms
        else:
            self.watermark_ms = self._committed_watermark_ms
            if self._writes:
                self.generation += 1
        self._writes = {}
        self._journal = None

    def restored(self, watermark_ms: int | None) -> None:
        """The store was rebuilt from the changelog, whose highest event time was this."""
        self.watermark_ms = self._committed_watermark_ms = watermark_ms
        self.generation += 1

    def _remember(self, k: bytes) -> None:
        if self._journal is not None:
            self._journal.append((k, self._writes.get(k, _MISSING)))
