"""The changelog record format, shared by the writer (`manager`) and the reader (`changelog`).

Every store has a compacted changelog topic (`streamops.topics.changelog_topic`);
partition n of the changelog holds state partition n. Two kinds of record:

- data: key ``b"d" + key``, value the stored bytes (msgpack of the event time and the
  value), or a tombstone for a deleted or expired key;
- the offsets marker: key ``b"m:offsets"``, value a msgpack map of the next input offset
  per input topic and the partition's event-time watermark, written with every batch.
  Compaction keeps the newest, so a restored partition knows which input records its
  state already reflects, and its TTL goes on from the same clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import msgpack

from streamops.state.base import Change

DATA_PREFIX = b"d"
MARKER_KEY = b"m:offsets"


class ChangelogRecord(NamedTuple):
    """One record for a changelog topic, to an explicit partition (a tuple: one per write)."""

    topic: str
    partition: int
    key: bytes
    value: bytes | None


def data_record(topic: str, partition: int, key: bytes, change: Change) -> ChangelogRecord:
    """The changelog record of one key's change (None: a tombstone)."""
    return ChangelogRecord(
        topic, partition, DATA_PREFIX + key, None if change is None else change[1]
    )


def marker_record(
    topic: str, partition: int, offsets: Mapping[str, int], watermark_ms: int | None = None
) -> ChangelogRecord:
    """The record saying which input offsets the partition's state reflects, and the highest
    event time it has seen (the TTL's clock, which must not go back after a restore)."""
    value = msgpack.packb({"offsets": dict(offsets), "watermark": watermark_ms})
    return ChangelogRecord(topic, partition, MARKER_KEY, value)


def read_marker(value: bytes) -> tuple[dict[str, int], int | None]:
    """The input offsets and the watermark of an offsets marker."""
    marker = msgpack.unpackb(value)
    return dict(marker["offsets"]), marker["watermark"]


#: Packs an (event time, value) pair into stored bytes. One packer for the process:
#: msgpack.packb builds a new one on every call, which costs more than a small value.
pack_entry = msgpack.Packer(use_bin_type=True).pack


def encode_entry(time_ms: int | None, value: Any) -> bytes:
    """A stored value: its event time (for the TTL) and the value, in msgpack."""
    data: bytes = pack_entry((time_ms, value))
    return data


def decode_entry(data: bytes) -> tuple[int | None, Any]:
    """The (event time, value) of a stored value."""
    time_ms, value = msgpack.unpackb(data, raw=False, strict_map_key=False)
    return time_ms, value


def entry_time(data: bytes) -> int | None:
    """The event time of a stored value without decoding the value (restores read millions).

    msgpack writes the pair as 0x92 (an array of two), then the time: 0xc0 for None, 0xcf or
    0xd3 and 8 big-endian bytes for epoch milliseconds from 2^32 on (any date after
    1970-02-19); anything else takes the full decode.
    """
    if len(data) >= 10 and data[0] == 0x92:
        tag = data[1]
        if tag == 0xCF:
            return int.from_bytes(data[2:10], "big")
        if tag == 0xD3:
            return int.from_bytes(data[2:10], "big", signed=True)
    if len(data) >= 2 and data[0] == 0x92 and data[1] == 0xC0:
        return None
    return decode_entry(data)[0]


def state_key(key: str | bytes) -> bytes:
    """Keys are bytes; text keys are their UTF-8."""
    return key.encode() if isinstance(key, str) else key
