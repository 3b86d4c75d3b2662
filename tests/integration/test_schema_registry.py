"""The schema registry works with Confluent's own Python serde and keeps ids across restarts."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import Schema
from confluent_kafka.serialization import MessageField, SerializationContext

from streamops_localstack import LocalStackSettings, RegistryNode
from tests.support.confluent import avro_deserializer, avro_serializer, registry_client
from tests.support.kafka import delivery_recorder, free_port, read_all, unique_name

PAYMENT_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Payment",
        "namespace": "streamops.test",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "amount", "type": "double"},
            {
                "name": "currency",
                "type": {"type": "enum", "name": "Currency", "symbols": ["EUR", "USD"]},
            },
            {"name": "note", "type": ["null", "string"], "default": None},
        ],
    }
)


def test_avro_serializer_registers_and_deserializer_reads_back(
    kafka: str, schema_registry: str, new_topic: Callable[..., str]
) -> None:
    topic = new_topic("payments")
    serializer = avro_serializer(registry_client(schema_registry), PAYMENT_SCHEMA)
    records = [
        {
            "id": f"p{i}",
            "amount": i * 1.5,
            "currency": "EUR" if i % 2 else "USD",
            "note": None if i % 3 else f"n{i}",
        }
        for i in range(20)
    ]
    context = SerializationContext(topic, MessageField.VALUE)
    errors, on_delivery = delivery_recorder()
    producer = Producer({"bootstrap.servers": kafka})
    for record in records:
        producer.produce(topic, value=serializer(record, context), on_delivery=on_delivery)
    assert producer.flush(30) == 0
    assert errors == []

    # A second client with an empty cache: everything it knows comes from the registry.
    reader = registry_client(schema_registry)
    registered = reader.get_latest_version(f"{topic}-value")
    deserializer = avro_deserializer(reader)
    messages = read_all(kafka, topic, expected=len(records))
    for message in messages:
        magic, schema_id = struct.unpack(">bI", message.value()[:5])
        assert (magic, schema_id) == (0, registered.schema_id)  # Confluent wire format
    assert [deserializer(m.value(), context) for m in messages] == records


@pytest.mark.chaos
def test_schema_id_resolves_to_same_schema_after_registry_restart(
    kafka: str, tmp_path: Path
) -> None:
    settings = LocalStackSettings(
        var_dir=tmp_path, registry_port=free_port(), registry_management_port=free_port()
    )
    node = RegistryNode(settings, kafka)
    node.start()
    try:
        subject = f"{unique_name('restart')}-value"
        schema_id = registry_client(node.url).register_schema(
            subject, Schema(PAYMENT_SCHEMA, "AVRO")
        )
        assert node.stop()
        assert not node.is_ready()

        node.start()
        fresh = registry_client(node.url)
        assert json.loads(fresh.get_schema(schema_id).schema_str) == json.loads(PAYMENT_SCHEMA)
        assert fresh.get_latest_version(subject).schema_id == schema_id
    finally:
        node.stop()
