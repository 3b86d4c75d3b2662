"""Per-record cost of Avro serde: confluent-kafka's AvroSerializer/AvroDeserializer vs streamops'.

Same schema, same records, same in-memory registry (no network), same process; the
bytes are identical (tests/unit/serde proves it both ways). This is why the stream
runtime's hot path calls fastavro directly. `make bench` runs it.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable

from confluent_kafka.schema_registry._sync.mock_schema_registry_client import (
    MockSchemaRegistryClient,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

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


def test_serde_overhead_per_record() -> None:
    registry = MockSchemaRegistryClient({"url": "mock://bench"})
    context = SerializationContext("bench", MessageField.VALUE)
    records = [payment(i) for i in range(RECORDS)]
    serializer = AvroSerializer(registry, json.dumps(PAYMENT_SCHEMA))
    deserializer = AvroDeserializer(registry)
    encoder = AvroEncoder(registry, value_subject("bench"), PAYMENT_SCHEMA)
    decoder = AvroDecoder(registry)
    data = [encoder.encode(r) for r in records]
    assert data[0] == serializer(records[0], context)  # the very same bytes

    figures = {
        "encode": (
            _per_record_us(lambda: [serializer(r, context) for r in records]),
            _per_record_us(lambda: [encoder.encode(r) for r in records]),
        ),
        "decode": (
            _per_record_us(lambda: [deserializer(d, context) for d in data]),
            _per_record_us(lambda: [decoder.decode(d) for d in data]),
        ),
    }
    print(f"\nAvro serde, 10-field record, median of {RUNS} x {RECORDS:,} records")
    print(f"{'':<8} {'confluent-kafka':>16} {'streamops':>10} {'ratio':>7}")
    for what, (confluent, ours) in figures.items():
        print(f"{what:<8} {confluent:>13.2f} us {ours:>7.2f} us {confluent / ours:>6.1f}x")
