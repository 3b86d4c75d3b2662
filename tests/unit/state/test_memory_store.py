"""The memory store's event-time index stays bounded by its keys, whatever the rewrites."""

from __future__ import annotations

from streamops.state.memory import MemoryStore
from streamops.state.records import encode_entry


def test_rewrites_do_not_grow_the_expiry_index_and_each_key_expires_once() -> None:
    store = MemoryStore(with_ttl=True)
    for t in range(100_000):  # one busy key, written at every event
        store.write({b"busy": (t, encode_entry(t, t))}, {})
    store.write({b"idle": (5, encode_entry(5, 0))}, {})
    assert len(store._heap) <= 2 * store.count() + 1024
    assert store.expired(before_ms=200_000, limit=10) == [b"idle", b"busy"]
    assert store.expired(before_ms=50, limit=10) == [b"idle"]


def test_a_key_rewritten_without_a_time_no_longer_expires() -> None:
    store = MemoryStore(with_ttl=True)
    store.write({b"k": (1, encode_entry(1, "v"))}, {})
    store.write({b"k": (None, encode_entry(None, "v"))}, {})
    assert store.expired(before_ms=10**12, limit=10) == []
