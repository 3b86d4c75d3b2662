"""A features record's event time read from its wire bytes alone (training's log watch and
`streamops.dataset.newest` read it so)."""

from __future__ import annotations

import io
import struct

import fastavro
import pytest

from streamops.features import features_event_time

SCHEMA = fastavro.parse_schema(
    {
        "type": "record",
        "name": "Features",
        "fields": [
            {"name": "event_id", "type": "string"},
            {"name": "entity_key", "type": "string"},
            {"name": "event_time", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "amount", "type": "double"},
        ],
    }
)


def _wire(event_id: str, entity_key: str, event_time: int) -> bytes:
    body = io.BytesIO()
    record = {"event_id": event_id, "entity_key": entity_key, "event_time": event_time}
    fastavro.schemaless_writer(body, SCHEMA, {**record, "amount": 12.5})
    return b"\x00" + struct.pack(">I", 42) + body.getvalue()


@pytest.mark.parametrize(
    ("event_id", "entity_key", "event_time"),
    [
        ("tx-1", "card-7", 1_767_225_600_000),
        ("é" * 70, "", 0),  # a string longer than one varint byte, an empty one
        ("tx-2", "card-9", -1),  # before 1970: zig-zag's negative side
        ("tx-3", "k" * 300, 2**53),
    ],
)
def test_the_event_time_is_read_without_decoding_the_rest(
    event_id: str, entity_key: str, event_time: int
) -> None:
    assert features_event_time(_wire(event_id, entity_key, event_time)) == event_time


def test_a_record_cut_short_is_an_index_error() -> None:
    whole = _wire("tx-1", "card-7", 1_767_225_600_000)
    with pytest.raises(IndexError):
        features_event_time(whole[:12])
