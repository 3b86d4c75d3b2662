"""A stage's batch preparation without a broker: decode, isolate failing records, encode, DLQ."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition
from confluent_kafka.schema_registry._sync.mock_schema_registry_client import (
    MockSchemaRegistryClient,
)

from streamops.contracts import load_schema
from streamops.runtime import BatchResult, InRecord, OutRecord, Stage
from streamops.runtime.batch import BatchPreparer
from streamops.runtime.clients import consumer_config
from streamops.runtime.settings import StreamSettings
from streamops.serde import AvroDecoder, AvroEncoder, value_subject
from streamops.settings import KafkaSettings
from tests.support.records import PAYMENT_SCHEMA, payment


class FakeMessage:
    def __init__(self, offset: int, value: bytes | None) -> None:
        self._offset, self._value = offset, value

    def topic(self) -> str:
        return "in"

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._offset

    def value(self) -> bytes | None:
        return self._value

    def key(self) -> bytes:
        return f"k{self._offset}".encode()

    def timestamp(self) -> tuple[int, int]:
        return (1, 1_700_000_000_000)

    def error(self) -> None:
        return None


def _stage(transform: Any) -> tuple[Stage, MockSchemaRegistryClient]:
    registry = MockSchemaRegistryClient({"url": "mock://stage"})
    stage = Stage(
        "unit", inputs=["in"], outputs={"out": PAYMENT_SCHEMA}, transform=transform, dlq_topic="dlq"
    )
    encoders = {
        "out": AvroEncoder(registry, value_subject("out"), PAYMENT_SCHEMA),
        "dlq": AvroEncoder(registry, value_subject("dlq"), load_schema("DeadLetter")),
    }
    stage._batches = BatchPreparer("unit", transform, AvroDecoder(registry), encoders, "dlq")
    return stage, registry


def _messages(registry: MockSchemaRegistryClient, n: int) -> list[FakeMessage]:
    encoder = AvroEncoder(registry, value_subject("in"), PAYMENT_SCHEMA)
    return [FakeMessage(i, encoder.encode(payment(i))) for i in range(n)]


def test_a_record_that_makes_the_transform_raise_is_isolated_and_dead_lettered() -> None:
    def fragile(records: Sequence[InRecord]) -> BatchResult:
        if any(r.value["id"] == "tx-00000003" for r in records):
            raise ZeroDivisionError("boom")
        return BatchResult([OutRecord("out", r.value, r.key, source=r) for r in records])

    stage, registry = _stage(fragile)
    messages = _messages(registry, 6)
    messages.insert(2, FakeMessage(100, b"not avro"))
    pending, out_counts, dlq_counts = stage._batches.prepare(messages)  # type: ignore[arg-type]
    assert out_counts == {"out": 5}
    assert dlq_counts == {"TRANSFORM": 1, "DECODE": 1}
    decoder = AvroDecoder(registry)
    letters = [decoder.decode(p.value) for p in pending if p.topic == "dlq"]
    by_kind = {letter["error_kind"]: letter for letter in letters}
    assert by_kind["DECODE"]["value"] == b"not avro"
    assert by_kind["DECODE"]["reasons"][0]["rule"] == "wire_format"
    assert by_kind["TRANSFORM"]["source_offset"] == 3
    assert "ZeroDivisionError: boom" in by_kind["TRANSFORM"]["reasons"][0]["message"]
    outputs = [decoder.decode(p.value)["id"] for p in pending if p.topic == "out"]
    assert outputs == [f"tx-0000000{i}" for i in (0, 1, 2, 4, 5)]


def test_an_output_that_does_not_fit_its_schema_dead_letters_its_source() -> None:
    def bad_amount(records: Sequence[InRecord]) -> BatchResult:
        return BatchResult(
            [
                OutRecord(
                    "out",
                    {**r.value, "amount": "n/a"} if r.offset == 1 else r.value,
                    r.key,
                    source=r,
                )
                for r in records
            ]
        )

    stage, registry = _stage(bad_amount)
    pending, out_counts, dlq_counts = stage._batches.prepare(_messages(registry, 3))  # type: ignore[arg-type]
    assert out_counts == {"out": 2} and dlq_counts == {"ENCODE": 1}
    [letter] = [AvroDecoder(registry).decode(p.value) for p in pending if p.topic == "dlq"]
    assert letter["source_offset"] == 1 and letter["reasons"][0]["rule"] == "output_schema"


def test_producing_to_an_undeclared_topic_is_a_programming_error() -> None:
    stage, registry = _stage(lambda rs: BatchResult([OutRecord("elsewhere", r.value) for r in rs]))
    with pytest.raises(ValueError, match="not one of its declared outputs"):
        stage._batches.prepare(_messages(registry, 1))  # type: ignore[arg-type]


class Aborting:
    """A write phase whose transactions all abort."""

    def write(self, records: object, offsets: object) -> bool:
        return False


def _passing() -> tuple[Stage, MockSchemaRegistryClient]:
    """A stage whose transform passes every record through to "out"."""
    return _stage(lambda rs: BatchResult([OutRecord("out", r.value, r.key, source=r) for r in rs]))


def test_an_aborted_batch_is_rewound_to_its_first_offsets_and_not_counted() -> None:
    stage, registry = _passing()

    class Seeking:
        def __init__(self) -> None:
            self.seeks: list[tuple[str, int, int]] = []

        def seek(self, tp: Any) -> None:
            self.seeks.append((tp.topic, tp.partition, tp.offset))

    consumer = Seeking()
    messages = _messages(registry, 4)[1:]  # offsets 1..3 of partition 0
    stage._process(messages, consumer, Aborting())  # type: ignore[arg-type]
    assert consumer.seeks == [("in", 0, 1)]
    counted = stage.metrics.registry.get_sample_value(
        "streamops_stream_records_in_total", {"stage": "unit"}
    )
    assert counted == 0


class Unseekable:
    """A consumer whose seeks fail, holding ``assigned`` partitions of topic "in"."""

    def __init__(self, assigned: list[int]) -> None:
        self.assigned = assigned

    def seek(self, tp: Any) -> None:
        raise KafkaException(KafkaError(KafkaError._STATE, "Erroneous state"))

    def assignment(self) -> list[TopicPartition]:
        return [TopicPartition("in", p) for p in self.assigned]


def test_an_aborted_batch_that_cannot_be_rewound_stops_the_stage_unless_it_moved() -> None:
    stage, registry = _passing()
    messages = _messages(registry, 3)
    # still ours: going on would start after the batch and skip it
    with pytest.raises(RuntimeError, match=r"go back to offset 0 of in\[0\]"):
        stage._process(messages, Unseekable([0]), Aborting())  # type: ignore[arg-type]
    # no longer ours: its new owner starts from the commit
    stage._process(messages, Unseekable([]), Aborting())  # type: ignore[arg-type]


def test_a_fatal_consumer_error_is_kept_for_the_loop_to_stop_on_and_others_are_not() -> None:
    stage, _ = _stage(lambda records: BatchResult([]))
    stage._on_consumer_error(KafkaError(KafkaError._TRANSPORT, "broker down"))
    assert stage._fatal is None and stage.live()  # librdkafka reconnects by itself
    fenced = KafkaError(KafkaError.FENCED_INSTANCE_ID, "static consumer fenced", fatal=True)
    stage._on_consumer_error(fenced)
    assert stage._fatal is fenced
    assert not stage.live()  # /healthz fails at once: the supervisor restarts the process
    again, _ = _stage(lambda records: BatchResult([]))
    again._on_consumer_error(KafkaError(KafkaError._FATAL, "fatal error raised"))  # flag unset
    assert again._fatal is not None and not again.live()
    config = consumer_config(
        "unit", KafkaSettings(), StreamSettings(), lambda _: None, on_error=stage._on_consumer_error
    )
    assert config["error_cb"] == stage._on_consumer_error
