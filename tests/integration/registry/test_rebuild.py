"""Any process rebuilds the same registry state from the topics alone, also after the
broker compacted the models topic; rollbacks are audited on the append-only log."""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Callable

import pytest
from confluent_kafka import Producer
from confluent_kafka.serialization import MessageField, SerializationContext

from streamops.registry import (
    Action,
    ModelRegistry,
    ModelState,
    RegistryPublisher,
    UnknownVersionError,
    decide,
)
from streamops.registry.keys import chunk_key
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from tests.integration.registry.records import MODEL, NOW, version
from tests.support.confluent import avro_deserializer, registry_client
from tests.support.kafka import read_all


def _decide(
    registry: ModelRegistry,
    publisher: RegistryPublisher,
    action: Action,
    number: int | None,
    weight: float | None = None,
) -> None:
    """Decide on the state as read, write the event, and read on until it is applied."""
    model = registry.model(MODEL)
    event = decide(
        model,
        action,
        number,
        actor="alice",
        reason=f"{action.lower()} in the test",
        decided_at=NOW + datetime.timedelta(minutes=len(model.history)),
        canary_weight=weight,
    )
    publisher.record_deployment(event)
    registry.refresh()
    assert registry.model(MODEL).history[-1] == event


def _roles(model: ModelState) -> tuple[object, ...]:
    return (
        model.champion,
        model.challenger,
        model.canary,
        model.canary_weight,
        model.previous_champions,
        sorted(model.retired),
    )


def test_a_fresh_process_rebuilds_the_state_and_a_rollback_is_audited(
    pipeline: str,
    publisher: RegistryPublisher,
    open_registry: Callable[[str], ModelRegistry],
    kafka: str,
    schema_registry: str,
) -> None:
    for number in (1, 2, 3):
        publisher.publish_version(version(pipeline, number), os.urandom(1000 * number))
    registry = open_registry(pipeline)
    _decide(registry, publisher, "PROMOTE", 1)
    _decide(registry, publisher, "PROMOTE", 2)
    _decide(registry, publisher, "CANARY", 3, weight=0.1)
    _decide(registry, publisher, "ROLLBACK", None)

    rebuilt = open_registry(pipeline).model(MODEL)
    assert _roles(rebuilt) == (1, None, 3, 0.1, [], [2])
    assert _roles(rebuilt) == _roles(registry.model(MODEL))
    assert rebuilt.history == registry.model(MODEL).history
    assert rebuilt.versions == registry.model(MODEL).versions

    # what landed: four events, in order, the last the rollback with actor and reason
    topic = publisher.topics.deployments
    read = avro_deserializer(registry_client(schema_registry))
    events = [
        read(m.value(), SerializationContext(topic, MessageField.VALUE))
        for m in read_all(kafka, topic, 4, idle_s=1.0)
    ]
    assert [e["action"] for e in events] == ["PROMOTE", "PROMOTE", "CANARY", "ROLLBACK"]
    rollback = events[-1]
    assert (rollback["version"], rollback["previous_champion_version"]) == (1, 2)
    assert (rollback["role"], rollback["actor"]) == ("CHAMPION", "alice")
    assert rollback["reason"] == "rollback in the test"


def test_the_state_is_rebuilt_after_the_broker_compacted_the_models_topic(
    make_pipeline: Callable[..., str],
    kafka_settings: KafkaSettings,
    registry_settings: SchemaRegistrySettings,
    open_registry: Callable[[str], ModelRegistry],
    kafka: str,
) -> None:
    # segments roll every 100 ms and any dirt makes a closed segment cleanable
    pipeline = make_pipeline(
        {"segment.ms": "100", "min.cleanable.dirty.ratio": "0.001", "delete.retention.ms": "100"}
    )
    onnx = {1: os.urandom(3000), 2: os.urandom(5000)}
    with RegistryPublisher(
        pipeline, kafka_settings, registry_settings, chunk_bytes=1024
    ) as publisher:
        publisher.publish_version(version(pipeline, 1), onnx[1])  # 3 chunks + 1
        publisher.publish_version(version(pipeline, 1), onnx[1])  # the same keys again
        before = open_registry(pipeline)
        _decide(before, publisher, "PROMOTE", 1)
        time.sleep(0.2)
        publisher.publish_version(version(pipeline, 2), onnx[2])  # rolls the segment
        time.sleep(0.2)
        publisher.publish_version(version(pipeline, 3), onnx[2])  # ... and again
    before.refresh()
    topic = before.topics.models
    # 3 versions: 3 + 5 + 5 chunks and 3 version records, once the duplicates are gone
    deadline = time.monotonic() + 60
    while len(kept := read_all(kafka, topic, 16, idle_s=0.5, timeout_s=5)) > 16:
        assert time.monotonic() < deadline, f"not compacted within 60 s: {len(kept)} records"
        time.sleep(2)
    assert len({m.key() for m in kept}) == 16

    after = open_registry(pipeline)
    assert after.model(MODEL).versions == before.model(MODEL).versions
    assert (
        _roles(after.model(MODEL)) == _roles(before.model(MODEL)) == (1, None, None, None, [], [])
    )
    assert after.load_artifact(MODEL, 1) == onnx[1]
    assert after.load_artifact(MODEL, 3) == onnx[2]


def test_a_deleted_version_is_gone_for_a_fresh_reader(
    pipeline: str,
    publisher: RegistryPublisher,
    open_registry: Callable[[str], ModelRegistry],
    kafka: str,
) -> None:
    """Tombstones (null values) delete a version's record and chunks, as compaction will."""
    for number in (1, 2):
        publisher.publish_version(version(pipeline, number), os.urandom(1000))
    producer = Producer({"bootstrap.servers": kafka})
    for key in (f"{MODEL}:1", chunk_key(MODEL, 1, 0)):
        producer.produce(publisher.topics.models, key=key.encode(), value=None)
    assert producer.flush(30) == 0

    registry = open_registry(pipeline)
    assert sorted(registry.model(MODEL).versions) == [2]
    with pytest.raises(UnknownVersionError):
        registry.load_artifact(MODEL, 1)
