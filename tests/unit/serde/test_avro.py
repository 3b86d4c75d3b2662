"""Wire-format Avro serde: byte-compatible with confluent-kafka, strict about bad input."""

from __future__ import annotations

import json
import struct

import pytest
from confluent_kafka.schema_registry._sync.mock_schema_registry_client import (
    MockSchemaRegistryClient,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from streamops.serde import AvroDecoder, AvroEncoder, DecodeError, RegistryUnavailable
from tests.support.records import PAYMENT_SCHEMA, payment

CONTEXT = SerializationContext("payments", MessageField.VALUE)


@pytest.fixture
def registry() -> MockSchemaRegistryClient:
    return MockSchemaRegistryClient({"url": "mock://unit"})


def test_encoder_writes_what_confluents_deserializer_reads(
    registry: MockSchemaRegistryClient,
) -> None:
    encoder = AvroEncoder(registry, "payments-value", PAYMENT_SCHEMA)
    record = payment(7)
    data = encoder.encode(record)
    assert struct.unpack(">bI", data[:5]) == (0, encoder.schema_id)
    decoded = AvroDeserializer(registry)(data, CONTEXT)
    assert decoded["id"] == "tx-00000007"
    assert decoded["amount"] == record["amount"]


def test_decoder_reads_what_confluents_serializer_writes(
    registry: MockSchemaRegistryClient,
) -> None:
    data = AvroSerializer(registry, json.dumps(PAYMENT_SCHEMA))(payment(3), CONTEXT)
    assert AvroDecoder(registry).decode(data)["id"] == "tx-00000003"


def test_decoder_resolves_to_a_reader_schema(registry: MockSchemaRegistryClient) -> None:
    data = AvroEncoder(registry, "payments-value", PAYMENT_SCHEMA).encode(payment(1))
    reader = {
        **PAYMENT_SCHEMA,
        "fields": [
            *PAYMENT_SCHEMA["fields"],
            {"name": "channel", "type": "string", "default": "web"},
        ],
    }
    assert AvroDecoder(registry, reader).decode(data)["channel"] == "web"


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (None, "null_value"),
        (b"", "wire_format"),
        (b"\x00\x00\x01", "wire_format"),
        (b"\x07\x00\x00\x00\x01abc", "wire_format"),
        (b"\x00" + struct.pack(">I", 424242) + b"\x02a", "unknown_schema_id"),
    ],
)
def test_malformed_bytes_are_decode_errors_with_a_rule(
    registry: MockSchemaRegistryClient, data: bytes | None, rule: str
) -> None:
    with pytest.raises(DecodeError) as caught:
        AvroDecoder(registry).decode(data)
    assert caught.value.rule == rule


def test_truncated_and_padded_bodies_are_rejected(registry: MockSchemaRegistryClient) -> None:
    data = AvroEncoder(registry, "payments-value", PAYMENT_SCHEMA).encode(payment(2))
    decoder = AvroDecoder(registry)
    with pytest.raises(DecodeError) as truncated:
        decoder.decode(data[:-3])
    assert truncated.value.rule == "corrupt_avro"
    with pytest.raises(DecodeError) as padded:
        decoder.decode(data + b"\x00\x00")
    assert padded.value.rule == "trailing_bytes"


def test_unknown_ids_are_remembered_not_asked_again(registry: MockSchemaRegistryClient) -> None:
    calls = []
    original = registry.get_schema

    def counting(schema_id: int, *args: object, **kwargs: object) -> object:
        calls.append(schema_id)
        return original(schema_id, *args, **kwargs)

    registry.get_schema = counting  # type: ignore[method-assign]
    decoder = AvroDecoder(registry)
    for _ in range(100):
        with pytest.raises(DecodeError):
            decoder.decode(b"\x00" + struct.pack(">I", 999) + b"\x02")
    assert calls == [999]


def test_an_unreachable_registry_is_not_blamed_on_the_record() -> None:
    class Down(MockSchemaRegistryClient):
        def get_schema(self, *args: object, **kwargs: object) -> object:
            raise ConnectionError("connection refused")

    with pytest.raises(RegistryUnavailable):
        AvroDecoder(Down({"url": "mock://down"})).decode(b"\x00\x00\x00\x00\x01\x02")


def test_a_record_that_does_not_fit_the_schema_raises(registry: MockSchemaRegistryClient) -> None:
    encoder = AvroEncoder(registry, "payments-value", PAYMENT_SCHEMA)
    with pytest.raises((ValueError, TypeError)):
        encoder.encode({**payment(1), "amount": "a lot"})


def test_a_record_may_be_a_tuple_of_its_fields_in_order(registry: MockSchemaRegistryClient) -> None:
    encoder = AvroEncoder(registry, "payments-value", PAYMENT_SCHEMA)
    record = payment(4)
    assert encoder.fields == tuple(f["name"] for f in PAYMENT_SCHEMA["fields"])
    ordered = tuple(record[f] for f in encoder.fields)
    assert encoder.encode(ordered) == encoder.encode(record)
    assert encoder.named(ordered) == record and encoder.named(record) is record
    short = f"{len(ordered) - 1} values for the {len(ordered)} fields"
    with pytest.raises(ValueError, match=short):
        encoder.encode(ordered[:-1])
    with pytest.raises((ValueError, TypeError)):  # fastavro's error, as for the dict
        encoder.encode((*ordered[:-1], object()))
