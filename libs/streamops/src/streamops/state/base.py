"""The store interface: the committed state of one partition of one store.

Stores only ever see committed batches: the runtime buffers a batch's changes in a
`PartitionState` and writes them here after the batch's changelog records (and, with a
transaction, its outputs and offsets) are durable. So a store needs no rollback.
Values are opaque bytes (the runtime encodes them); each key may carry an event time,
which the store indexes when the store has a TTL.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping

#: A committed change: (event time or None, encoded value), or None for a deletion.
Change = tuple[int | None, bytes] | None


class StateFullError(RuntimeError):
    """A store would outgrow its configured bound; the stage stops rather than lose state."""


class PartitionStore(ABC):
    """Committed keys of one store partition, and the input offsets they reflect."""

    @abstractmethod
    def get(self, key: bytes) -> bytes | None:
        """The encoded value of ``key``, or None."""

    @abstractmethod
    def write(self, changes: Mapping[bytes, Change], offsets: Mapping[str, int]) -> None:
        """Apply a committed batch: its changes and the next input offset per input topic."""

    @abstractmethod
    def offsets(self) -> dict[str, int]:
        """Per input topic, the next offset to process (everything before it is applied)."""

    @abstractmethod
    def expired(self, before_ms: int, limit: int) -> list[bytes]:
        """Up to ``limit`` keys last written at an event time before ``before_ms``."""

    @abstractmethod
    def count(self) -> int:
        """Number of keys (approximate for the disk store)."""

    @abstractmethod
    def size_bytes(self) -> int:
        """Bytes the keys and values take (approximate: RocksDB's live data estimate)."""

    def new_keys(self, keys: Iterable[bytes]) -> int:
        """How many of ``keys`` are not in the store yet."""
        return sum(1 for k in keys if self.get(k) is None)

    @abstractmethod
    def close(self) -> None:
        """Release the partition (its memory, or its files)."""
