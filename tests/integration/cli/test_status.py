"""`streamops status P --once --json` on a real broker and registry: records per topic, a
consumer group's lag, the one open alert of three alert records, the champion promoted in
the registry, and the primary metric scraped from a /metrics endpoint."""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from prometheus_client import CollectorRegistry, start_http_server
from typer.testing import CliRunner, Result

from streamops.cli import app
from streamops.contracts import load_schema
from streamops.contracts.types import Alert
from streamops.pipeline import Pipeline
from streamops.registry import ModelRegistry, RegistryPublisher, decide
from streamops.serde import AvroEncoder, value_subject
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.topics import TopicNames, ensure_topics, pipeline_topics
from streamops_monitoring.metrics import MonitoringMetrics
from tests.integration.registry.records import version
from tests.support.confluent import registry_client
from tests.support.kafka import delete_pipeline_topics, delivery_recorder, free_port
from tests.support.pipelines import private_pipeline
from tests.unit.contracts.examples import ALERT

runner = CliRunner()
MODEL = "fraud-detector"  # fraud.yaml's model.name
PROMOTED = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
RAW_PER_PARTITION = 10
COMMITTED = {0: 10, 1: 5, 2: 0}  # validation's offsets on events.raw: lag 0 + 5 + 10


@pytest.fixture
def pipeline(tmp_path: Path, kafka: str, schema_registry: str) -> Iterator[Pipeline]:
    """A private copy of fraud (3 partitions); its topics and subjects deleted afterwards."""
    made = private_pipeline(tmp_path, prefix="status")
    admin = AdminClient({"bootstrap.servers": kafka})
    assert ensure_topics(admin, pipeline_topics(made.name, partitions=3)).ok
    yield made
    delete_pipeline_topics(admin, made.name)
    client = registry_client(schema_registry)
    for subject in client.get_subjects():
        if subject.startswith(f"{made.name}."):
            client.delete_subject(subject)
            client.delete_subject(subject, permanent=True)


def _status(pipeline: Pipeline, kafka: str, registry: str, monitoring_url: str) -> Result:
    return runner.invoke(
        app,
        [
            "status",
            pipeline.name,
            "--spec",
            str(pipeline.file),
            "--once",
            "--json",
            "--interval",
            "0.5",
            "--monitoring-url",
            monitoring_url,
            "--bootstrap-servers",
            kafka,
            "--registry-url",
            registry,
            "--timeout",
            "20",
        ],
    )


def _produce(kafka: str, names: TopicNames) -> None:
    errors, on_delivery = delivery_recorder()
    producer = Producer({"bootstrap.servers": kafka})
    for partition in COMMITTED:
        for n in range(RAW_PER_PARTITION):
            key = f"card-{n}".encode()
            producer.produce(names.events_raw, b"raw", key, partition, on_delivery=on_delivery)
    for n in range(20):
        producer.produce(names.events_valid, b"valid", f"card-{n}", on_delivery=on_delivery)
    assert producer.flush(30) == 0
    assert errors == []


def _commit_validation_offsets(kafka: str, names: TopicNames) -> None:
    """Offsets committed as the validation service would, without its running."""
    consumer = Consumer({"bootstrap.servers": kafka, "group.id": names.stage("validation")})
    try:
        offsets = [TopicPartition(names.events_raw, p, o) for p, o in COMMITTED.items()]
        consumer.commit(offsets=offsets, asynchronous=False)
    finally:
        consumer.close()


def _alert(pipeline: str, alert_id: str, state: str) -> Alert:
    record: dict[str, Any] = {**ALERT, "pipeline": pipeline, "alert_id": alert_id}
    return cast(Alert, {**record, "state": state, "model_name": MODEL, "model_version": 1})


def _write_alerts(kafka: str, registry: str, names: TopicNames) -> None:
    """Three records: a1 opened; a2 opened, then resolved (same key)."""
    encoder = AvroEncoder(
        registry_client(registry), value_subject(names.alerts), load_schema("Alert")
    )
    errors, on_delivery = delivery_recorder()
    producer = Producer({"bootstrap.servers": kafka})
    for alert_id, state in (("a1", "OPEN"), ("a2", "OPEN"), ("a2", "RESOLVED")):
        record = _alert(names.pipeline, alert_id, state)
        producer.produce(names.alerts, encoder.encode(record), alert_id, on_delivery=on_delivery)
    assert producer.flush(30) == 0
    assert errors == []


def _promote_first_version(
    kafka: KafkaSettings, registry: SchemaRegistrySettings, name: str
) -> None:
    with RegistryPublisher(name, kafka, registry) as publisher:
        publisher.publish_version(version(name, 1, model_name=MODEL), os.urandom(2000))
        with ModelRegistry(name, kafka, registry, timeout_s=20) as opened:
            state = opened.wait_for_version(MODEL, 1, timeout_s=20)
        event = decide(state, "PROMOTE", 1, actor="test", reason="first", decided_at=PROMOTED)
        publisher.record_deployment(event)


def _serve_metrics(pipeline: str) -> Iterator[str]:
    registry = CollectorRegistry()
    metrics = MonitoringMetrics(registry, pipeline)
    metrics.performance.labels(pipeline, "1", "pr_auc", "realised").set(0.625)
    metrics.performance.labels(pipeline, "1", "pr_auc", "estimated").set(0.5)
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    try:
        yield f"http://127.0.0.1:{port}/metrics"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def monitoring_url(pipeline: Pipeline) -> Iterator[str]:
    """A /metrics endpoint publishing the champion's rolling pr_auc, as monitoring does."""
    yield from _serve_metrics(pipeline.name)


def test_status_once_json_shows_counts_lag_champion_open_alerts_and_metric(
    pipeline: Pipeline, kafka: str, schema_registry: str, monitoring_url: str
) -> None:
    names = TopicNames(pipeline.name)
    _produce(kafka, names)
    _commit_validation_offsets(kafka, names)
    _write_alerts(kafka, schema_registry, names)
    _promote_first_version(
        KafkaSettings(bootstrap_servers=kafka),
        SchemaRegistrySettings(url=schema_registry),
        pipeline.name,
    )

    result = _status(pipeline, kafka, schema_registry, monitoring_url)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    snapshot = json.loads(lines[0])

    topics = {row["topic"]: row for row in snapshot["topics"]}
    assert topics[names.events_raw]["records"] == 3 * RAW_PER_PARTITION
    assert topics[names.events_valid]["records"] == 20
    assert topics[names.events_dlq]["records"] == 0
    assert topics[names.alerts]["records"] == 3
    assert topics[names.events_raw]["rate"] == 0.0  # nothing written during the interval
    groups = {row["service"]: row for row in snapshot["groups"]}
    assert groups["validation"]["group"] == names.stage("validation")
    assert groups["validation"]["lag"] == sum(RAW_PER_PARTITION - o for o in COMMITTED.values())
    assert groups["validation"]["state"] == "EMPTY"  # offsets, but no member
    assert groups["serving"] == {
        "service": "serving",
        "group": names.stage("serving"),
        "state": None,
        "lag": None,
    }
    assert snapshot["champion"] == {
        "model": MODEL,
        "version": 1,
        "since": PROMOTED.isoformat(),
    }
    assert [(a["alert_id"], a["kind"], a["model_version"]) for a in snapshot["alerts"]] == [
        ("a1", ALERT["kind"], 1)
    ]
    assert snapshot["metric"] == {
        "name": "pr_auc",
        "version": 1,
        "realised": 0.625,
        "estimated": 0.5,
        "reachable": True,
    }


def test_status_without_monitoring_says_unreachable(
    pipeline: Pipeline, kafka: str, schema_registry: str
) -> None:
    down = f"http://127.0.0.1:{free_port()}/metrics"
    result = _status(pipeline, kafka, schema_registry, down)
    assert result.exit_code == 0, result.output
    snapshot = json.loads(result.stdout)
    assert snapshot["metric"]["reachable"] is False
    assert snapshot["champion"]["version"] is None
    assert snapshot["alerts"] == []


def test_a_pipeline_without_topics_exits_2(
    tmp_path: Path, kafka: str, schema_registry: str
) -> None:
    missing = private_pipeline(tmp_path, prefix="status")  # its topics never created
    result = _status(missing, kafka, schema_registry, "http://127.0.0.1:1/metrics")
    assert result.exit_code == 2
    assert f"pipeline {missing.name} has no topics on the cluster" in result.output


def test_an_unreachable_broker_exits_2_in_one_line(tmp_path: Path, schema_registry: str) -> None:
    missing = private_pipeline(tmp_path, prefix="status")
    result = runner.invoke(
        app,
        [
            *("status", missing.name, "--spec", str(missing.file), "--once"),
            *("--bootstrap-servers", f"127.0.0.1:{free_port()}", "--timeout", "2"),
        ],
    )
    assert result.exit_code == 2
    assert result.output.startswith("error: cannot read cluster metadata within 2s")
    assert len(result.output.strip().splitlines()) == 1
