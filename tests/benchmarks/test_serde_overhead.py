"""Per-record cost of Avro serde: confluent-kafka's classes, plain fastavro, and streamops'.

Same schema, same records, same in-memory registry (no network), same process; the
bytes and objects are identical (tests/unit/serde proves it). streamops' encoder and
decoder run the native codec (streamops_avro), with fastavro as its fallback; the
fastavro column is the same wire format done with fastavro alone, as streamops did before
the codec. `make bench` runs it.
"""

from __future__ import annotations

import io
import json
import statistics
import struct
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka.schema_registry._sync.mock_schema_registry_client import (
    MockSchemaRegistryClient,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from fastavro import parse_schema, schemaless_reader, schemaless_writer

from streamops.serde import AvroDecoder, AvroEncoder, value_subject
from tests.support.records import PAYMENT_SCHEMA, payment

RECORDS = 20_000
RUNS = 5


def _per_record_us(work: Callable[[], object]) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) / RECORDS * 1e6)
    return statistics.median(samples)


def _fastavro_pair(header: bytes) -> tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
    """Wire-format encode/decode with fastavro alone (header, then the schemaless body)."""
    parsed = parse_schema(PAYMENT_SCHEMA)

    def encode(record: Any) -> bytes:
        out = io.BytesIO(header)
        out.seek(len(header))
        schemaless_writer(out, parsed, record)
        return out.getvalue()

    def decode(data: bytes) -> Any:
        stream = io.BytesIO(data)
        stream.seek(5)
        return schemaless_reader(stream, parsed, None)

    return encode, decode


def test_serde_overhead_per_record() -> None:
    registry = MockSchemaRegistryClient({"url": "mock://bench"})
    context = SerializationContext("bench", MessageField.VALUE)
    records = [payment(i) for i in range(RECORDS)]
    serializer = AvroSerializer(registry, json.dumps(PAYMENT_SCHEMA))
    deserializer = AvroDeserializer(registry)
    encoder = AvroEncoder(registry, value_subject("bench"), PAYMENT_SCHEMA)
    decoder = AvroDecoder(registry)
    fast_encode, fast_decode = _fastavro_pair(struct.pack(">bI", 0, encoder.schema_id))
    data = [encoder.encode(r) for r in records]
    decoded = [decoder.decode(d) for d in data]  # what a pass-through stage re-encodes
    assert data[0] == serializer(records[0], context) == fast_encode(records[0])
    assert decoded[0] == fast_decode(data[0]) == deserializer(data[0], context)

    figures = {
        "encode": [
            _per_record_us(lambda: [serializer(r, context) for r in decoded]),
            _per_record_us(lambda: [fast_encode(r) for r in decoded]),
            _per_record_us(lambda: [encoder.encode(r) for r in decoded]),
        ],
        "decode": [
            _per_record_us(lambda: [deserializer(d, context) for d in data]),
            _per_record_us(lambda: [fast_decode(d) for d in data]),
            _per_record_us(lambda: [decoder.decode(d) for d in data]),
        ],
    }
    figures["both"] = [e + d for e, d in zip(figures["encode"], figures["decode"], strict=True)]
    print(f"\nAvro serde, 10-field record, µs per record, median of {RUNS} x {RECORDS:,} records")
    print(
        f"{'':<8} {'confluent-kafka':>16} {'fastavro':>10} {'streamops':>10} "
        f"{'vs confluent':>13} {'vs fastavro':>12}"
    )
    for what, (confluent, fast, ours) in figures.items():
        print(
            f"{what:<8} {confluent:>16.2f} {fast:>10.2f} {ours:>10.2f} "
            f"{confluent / ours:>12.1f}x {fast / ours:>11.1f}x"
        )
