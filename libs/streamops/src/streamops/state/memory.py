"""The in-memory store: a dict per partition, with a heap for event-time expiry."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping

from streamops.state.base import Change, PartitionStore


class MemoryStore(PartitionStore):
    """Committed state of one partition in a dict of encoded values."""

    def __init__(self, with_ttl: bool) -> None:
        self._data: dict[bytes, bytes] = {}
        self._bytes = 0
        self._offsets: dict[str, int] = {}
        self._with_ttl = with_ttl
        #: key -> its last event time, and a heap of (time, key) with stale entries left in
        #: place and skipped when popped (cheaper than removing them on every overwrite)
        self._times: dict[bytes, int] = {}
        self._heap: list[tuple[int, bytes]] = []

    def get(self, key: bytes) -> bytes | None:
        return self._data.get(key)

    def write(self, changes: Mapping[bytes, Change], offsets: Mapping[str, int]) -> None:
        data, times, heap = self._data, self._times, self._heap
        index = self._with_ttl
        size = self._bytes
        for key, change in changes.items():  # once per written key: keep it lean
            old = data.get(key)
            if old is not None:
                size -= len(key) + len(old)
            if change is None:
                if old is not None:
                    del data[key]
                    times.pop(key, None)
                continue
            time_ms, value = change
            data[key] = value
            size += len(key) + len(value)
            if index:
                if time_ms is None:
                    times.pop(key, None)  # no event time: nothing to expire it by
                elif times.get(key) != time_ms:
                    times[key] = time_ms
                    heapq.heappush(heap, (time_ms, key))
        self._bytes = size
        self._offsets.update(offsets)
        if len(heap) > 2 * len(times) + 1024:  # stale entries of rewritten keys: drop them
            self._heap = [(t, k) for k, t in times.items()]
            heapq.heapify(self._heap)

    def offsets(self) -> dict[str, int]:
        return dict(self._offsets)

    def expired(self, before_ms: int, limit: int) -> list[bytes]:
        found: list[bytes] = []
        heap, times = self._heap, self._times
        seen: set[bytes] = set()
        while heap and heap[0][0] < before_ms and len(found) < limit:
            time_ms, key = heapq.heappop(heap)
            # not rewritten since (else a stale entry), and each key once
            if times.get(key) == time_ms and key not in seen:
                seen.add(key)
                found.append(key)
        for key in found:  # still in the store until the batch deleting them commits
            heapq.heappush(heap, (times[key], key))
        return found

    def count(self) -> int:
        return len(self._data)

    def size_bytes(self) -> int:
        return self._bytes

    def new_keys(self, keys: Iterable[bytes]) -> int:
        data = self._data
        return sum(1 for k in keys if k not in data)

    def close(self) -> None:
        self._data.clear()
        self._times.clear()
        self._heap.clear()
