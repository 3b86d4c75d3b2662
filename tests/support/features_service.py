"""The features service as a child process, and reading what it wrote."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

from streamops.pipeline import Pipeline
from streamops.serde import AvroDecoder, AvroEncoder, value_subject
from streamops.topics import TopicNames
from tests.support.confluent import registry_client
from tests.support.kafka import delivery_recorder, produce_waiting
from tests.support.pipelines import REPO, STREAMOPS


def start_features(
    pipeline: Pipeline,
    kafka: str,
    registry: str,
    log_file: Path,
    *,
    health_port: int = 0,
    guarantee: str = "exactly_once",
    batch: int = 5000,
    instance: str = "test",
) -> subprocess.Popen[bytes]:
    """`streamops run features` on ``pipeline``, its output appended to ``log_file``."""
    return start_service(
        "features",
        pipeline,
        kafka,
        registry,
        log_file,
        {"STREAMOPS_FEATURES_HEALTH_PORT": str(health_port)},
        guarantee=guarantee,
        batch=batch,
        instance=instance,
    )


def start_service(
    service: str,
    pipeline: Pipeline,
    kafka: str,
    registry: str,
    log_file: Path,
    env: Mapping[str, str] | None = None,
    *,
    guarantee: str = "exactly_once",
    batch: int = 5000,
    instance: str = "test",
) -> subprocess.Popen[bytes]:
    """`streamops run SERVICE` on ``pipeline`` with ``env`` added, its output appended to
    ``log_file``."""
    full: dict[str, Any] = {
        **os.environ,
        "STREAMOPS_KAFKA_BOOTSTRAP_SERVERS": kafka,
        "STREAMOPS_SCHEMA_REGISTRY_URL": registry,
        "STREAMOPS_STREAM_PROCESSING_GUARANTEE": guarantee,
        "STREAMOPS_STREAM_BATCH_MAX_RECORDS": str(batch),
        "STREAMOPS_STREAM_BATCH_MAX_WAIT_S": "0.2",
        "STREAMOPS_STREAM_INSTANCE_ID": instance,
        "STREAMOPS_STREAM_SESSION_TIMEOUT_S": "10",
        **(env or {}),
    }
    with open(log_file, "ab") as out:
        return subprocess.Popen(
            [str(STREAMOPS), "run", service, "--pipeline", str(pipeline.file)],
            env=full,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )


def produce_valid(
    kafka: str, registry: str, pipeline: Pipeline, events: Iterable[Mapping[str, Any]]
) -> int:
    """Write ``events`` to the pipeline's events.valid, keyed by card id; returns how many."""
    topic = TopicNames(pipeline.name).events_valid
    encoder = AvroEncoder(registry_client(registry), value_subject(topic), pipeline.event_schema)
    errors, on_delivery = delivery_recorder()
    producer = Producer({"bootstrap.servers": kafka, "linger.ms": 20})
    n = 0
    for n, event in enumerate(events, 1):
        produce_waiting(producer, topic, encoder.encode(event), event["card_id"], on_delivery)
        if n % 10_000 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0
    assert errors == []
    return n


def read_features(
    kafka: str, registry: str, pipeline: Pipeline, partitions: int = 3
) -> list[dict[str, Any]]:
    """Every committed record of the pipeline's features topic, partition by partition."""
    return read_records(kafka, registry, TopicNames(pipeline.name).features, partitions)


def read_records(
    kafka: str, registry: str, topic: str, partitions: int = 3
) -> list[dict[str, Any]]:
    """Every committed record of an Avro topic, partition by partition."""
    decoder = AvroDecoder(registry_client(registry))
    consumer = Consumer(
        {
            "bootstrap.servers": kafka,
            "group.id": f"{topic}.reader",
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    records, at_end = [], set()
    try:
        while len(at_end) < partitions:
            for m in consumer.consume(5000, 1.0):
                err = m.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        at_end.add(m.partition())
                        continue
                    raise AssertionError(str(err))
                records.append(decoder.decode(m.value()))
    finally:
        consumer.close()
    return records
