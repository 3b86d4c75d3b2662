"""The disk store: one RocksDB (through rocksdict) per stage, store and partition.

For state larger than memory (monitoring holds days of predictions waiting for labels).
Memory stays bounded by the block cache and the memtable size (`StateSettings`). The
directory is wiped when the partition is assigned and rebuilt from the changelog, which
is the truth; nothing on local disk must survive a move to another machine.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

import msgpack
from rocksdict import BlockBasedOptions, Cache, Options, Rdict, WriteBatch, WriteOptions

from streamops.state.base import Change, PartitionStore
from streamops.state.records import entry_time
from streamops.state.settings import StateSettings

_TTL, _META = "ttl", "meta"
_OFFSETS = b"offsets"
_SIGN = 1 << 63  # event times may be negative; shifted so that byte order is time order


def _options(settings: StateSettings, cache: Cache) -> Options:
    """Raw bytes in and out, memory bounded by the memtable size and the shared block cache."""
    options = Options(raw_mode=True)
    options.set_write_buffer_size(settings.disk_write_buffer_bytes)
    table = BlockBasedOptions()
    table.set_block_cache(cache)
    options.set_block_based_table_factory(table)
    return options


def _ttl_key(time_ms: int, key: bytes) -> bytes:
    return (time_ms + _SIGN).to_bytes(8, "big") + key


class DiskStore(PartitionStore):
    """Committed state of one partition in a RocksDB directory of its own."""

    def __init__(self, path: Path, settings: StateSettings, with_ttl: bool) -> None:
        shutil.rmtree(path, ignore_errors=True)  # the changelog is the truth: start clean
        path.mkdir(parents=True)
        self.path = path
        self._with_ttl = with_ttl
        cache = Cache(settings.disk_cache_bytes)  # one cache for the data and the TTL index
        options = _options(settings, cache)
        options.create_if_missing(True)
        options.create_missing_column_families(True)
        families = {_TTL: _options(settings, cache), _META: Options(raw_mode=True)}
        self._db = Rdict(str(path), options, column_families=families)
        # No write-ahead log: the directory is rebuilt from the changelog on every
        # assignment, so the log would never be read (it was 60% of the directory).
        writes = WriteOptions()
        # rocksdict's stub declares a method, but at run time it is a property
        writes.disable_wal = True  # type: ignore[method-assign,assignment]
        self._db.set_write_options(writes)
        self._ttl = self._db.get_column_family_handle(_TTL)
        self._meta = self._db.get_column_family_handle(_META)
        self._ttl_index = self._db.get_column_family(_TTL)
        self._offsets: dict[str, int] = {}
        self._count = 0
        self._bytes = 0

    def get(self, key: bytes) -> bytes | None:
        value: bytes | None = self._db.get(key)
        return value

    def write(self, changes: Mapping[bytes, Change], offsets: Mapping[str, int]) -> None:
        batch = WriteBatch(raw_mode=True)
        get = self._db.get
        for key, change in changes.items():
            old = get(key)
            if old is not None:
                self._count -= 1
                self._bytes -= len(key) + len(old)
            if change is None:
                batch.delete(key)
                continue
            time_ms, value = change
            batch.put(key, value)
            self._count += 1
            self._bytes += len(key) + len(value)
            if self._with_ttl and time_ms is not None:
                batch.put(_ttl_key(time_ms, key), b"", self._ttl)
        if offsets:
            self._offsets.update(offsets)
            batch.put(_OFFSETS, msgpack.packb(self._offsets), self._meta)
        self._db.write(batch)

    def offsets(self) -> dict[str, int]:
        return dict(self._offsets)

    def expired(self, before_ms: int, limit: int) -> list[bytes]:
        found: list[bytes] = []
        stale = WriteBatch(raw_mode=True)
        bound = (before_ms + _SIGN).to_bytes(8, "big")
        it = self._ttl_index.iter()
        it.seek_to_first()
        while it.valid() and len(found) < limit:
            entry: bytes = it.key()
            if entry[:8] >= bound:
                break
            key = entry[8:]
            value = self._db.get(key)
            # an index entry is live only if the key still carries that time
            if value is not None and entry_time(value) == int.from_bytes(entry[:8]) - _SIGN:
                found.append(key)
            else:
                stale.delete(entry, self._ttl)
            it.next()
        del it
        if not stale.is_empty():
            self._db.write(stale)
        return found

    def count(self) -> int:
        return self._count

    def size_bytes(self) -> int:
        return self._bytes

    def close(self) -> None:
        # every handle on the database must go, or RocksDB keeps its lock
        self._ttl_index.close()
        self._db.close()
        del self._ttl, self._meta
        shutil.rmtree(self.path, ignore_errors=True)
