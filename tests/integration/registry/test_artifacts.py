"""Artifacts on the real broker: chunked under the message limit, loaded back checked,
refused when corrupted, and never half visible."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import KafkaException, Producer
from confluent_kafka.serialization import MessageField, SerializationContext

import streamops.registry.publish as publish_module
from streamops.registry import (
    ArtifactIntegrityError,
    ClusterUnavailableError,
    ModelRegistry,
    RegistryPublisher,
)
from streamops.registry.keys import chunk_key
from streamops.registry.wire import avro_encoder, record_subject
from tests.integration.registry.conftest import KAFKA_DEFAULT_MAX_MESSAGE_BYTES
from tests.integration.registry.records import MODEL, version
from tests.support.confluent import avro_deserializer, registry_client
from tests.support.kafka import read_all

MB = 1_000_000


def test_a_100_mb_model_is_chunked_under_the_limit_and_loads_back_checked(
    pipeline: str,
    publisher: RegistryPublisher,
    open_registry: Callable[[str], ModelRegistry],
    kafka: str,
    schema_registry: str,
) -> None:
    onnx = os.urandom(100 * MB)
    written = publisher.publish_version(version(pipeline, 1), onnx)
    assert written["onnx_chunks"] == 191  # 512 KiB chunks
    assert written["onnx_size_bytes"] == 100 * MB
    assert written["onnx_sha256"] == hashlib.sha256(onnx).hexdigest()
    assert written["onnx_model"] is None

    landed = read_all(kafka, publisher.topics.models, 192, timeout_s=60)
    keys = [m.key() for m in landed]
    assert keys[:2] == [chunk_key(MODEL, 1, 0).encode(), chunk_key(MODEL, 1, 1).encode()]
    assert keys[-1] == f"{MODEL}:1".encode()  # the version after its chunks
    assert max(len(m.value()) for m in landed) < int(KAFKA_DEFAULT_MAX_MESSAGE_BYTES)
    # a plain Confluent client reads the chunk records too
    chunk = avro_deserializer(registry_client(schema_registry))(
        landed[0].value(), SerializationContext(publisher.topics.models, MessageField.VALUE)
    )
    assert (chunk["index"], chunk["count"], chunk["data"]) == (0, 191, onnx[: 512 * 1024])

    registry = open_registry(pipeline)  # a fresh reader: nothing but the topics
    assert registry.version(MODEL, 1)["onnx_sha256"] == written["onnx_sha256"]
    assert registry.load_artifact(MODEL, 1) == onnx


def test_a_corrupted_chunk_is_refused_by_the_sha256(
    pipeline: str,
    publisher: RegistryPublisher,
    open_registry: Callable[[str], ModelRegistry],
    kafka: str,
    schema_registry: str,
) -> None:
    onnx = os.urandom(2 * MB)
    written = publisher.publish_version(version(pipeline, 1), onnx)
    # someone rewrites chunk 1 with other bytes under the same key and artifact hash
    topic = publisher.topics.models
    encoder = avro_encoder(
        registry_client(schema_registry), record_subject(topic, "ModelChunk"), "ModelChunk"
    )
    bad = {
        "pipeline": pipeline,
        "model_name": MODEL,
        "version": 1,
        "onnx_sha256": written["onnx_sha256"],
        "index": 1,
        "count": written["onnx_chunks"],
        "data": os.urandom(512 * 1024),
    }
    producer = Producer({"bootstrap.servers": kafka})
    producer.produce(topic, key=chunk_key(MODEL, 1, 1).encode(), value=encoder.encode(bad))
    assert producer.flush(30) == 0

    registry = open_registry(pipeline)
    with pytest.raises(ArtifactIntegrityError, match=f"{MODEL} v1: the artifact's SHA-256 is"):
        registry.load_artifact(MODEL, 1)


def test_a_publication_that_fails_half_way_leaves_nothing_visible(
    pipeline: str,
    publisher: RegistryPublisher,
    open_registry: Callable[[str], ModelRegistry],
    monkeypatch: pytest.MonkeyPatch,
    kafka: str,
) -> None:
    publisher.publish_version(version(pipeline, 1), os.urandom(MB))  # 2 chunks + 1 version
    real_produce = publish_module._produce

    def fails_after_the_version_record(producer: Any, topic: str, key: str, *rest: Any) -> None:
        real_produce(producer, topic, key, *rest)
        if key == f"{MODEL}:2":  # every record of v2 is on the broker, then it goes away
            assert producer.flush(30) == 0
            raise KafkaException("the broker went away")

    monkeypatch.setattr(publish_module, "_produce", fails_after_the_version_record)
    with pytest.raises(ClusterUnavailableError, match="nothing of it is visible"):
        publisher.publish_version(version(pipeline, 2), os.urandom(2 * MB))
    monkeypatch.undo()

    topic = publisher.topics.models
    sent = read_all(kafka, topic, 8, isolation="read_uncommitted", timeout_s=20)
    assert {m.key() for m in sent} >= {b"fraud-gbm:2", chunk_key(MODEL, 2, 3).encode()}
    assert len(read_all(kafka, topic, 3, idle_s=1.0)) == 3  # committed: v1 only
    registry = open_registry(pipeline)
    assert sorted(registry.model(MODEL).versions) == [1]
    # the same publisher goes on: a retry publishes the version whole
    onnx = os.urandom(2 * MB)
    publisher.publish_version(version(pipeline, 2), onnx)
    assert open_registry(pipeline).load_artifact(MODEL, 2) == onnx
