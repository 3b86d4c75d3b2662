"""Following the registry live, and runs and lineage events on their own topics."""

from __future__ import annotations

import datetime
import os
import time
import uuid
from collections.abc import Callable

from streamops.registry import Change, ModelRegistry, RegistryPublisher, decide, read_runs
from streamops.registry.lineage import (
    ModelOutput,
    TopicInput,
    decode_run_event,
    job_name,
    kafka_namespace,
    run_event,
)
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from tests.integration.registry.records import MODEL, NOW, version
from tests.support.confluent import registry_client
from tests.support.kafka import read_all
from tests.unit.contracts.examples import TRAINING_RUN


def _poll_until(registry: ModelRegistry, count: int) -> list[Change]:
    changes: list[Change] = []
    deadline = time.monotonic() + 20
    while len(changes) < count and time.monotonic() < deadline:
        changes += registry.poll(0.2)
    return changes


def test_a_follower_sees_new_versions_and_deployments_as_they_land(
    pipeline: str,
    publisher: RegistryPublisher,
    open_registry: Callable[[str], ModelRegistry],
) -> None:
    follower = open_registry(pipeline)  # started before anything was published
    assert follower.model_names == [] and follower.poll(0.1) == []
    onnx = os.urandom(700_000)
    publisher.publish_version(version(pipeline, 1), onnx)
    [published] = _poll_until(follower, 1)
    assert (published.kind, published.model_name, published.version) == ("version", MODEL, 1)

    event = decide(
        follower.model(MODEL), "PROMOTE", 1, actor="training", reason="first", decided_at=NOW
    )
    publisher.record_deployment(event)
    started = time.monotonic()
    [promoted] = follower.poll(30.0)  # returns once the event is there, not after 30 s
    assert time.monotonic() - started < 10
    assert (promoted.kind, promoted.record) == ("deployment", event)
    assert follower.model(MODEL).champion == 1
    assert follower.load_artifact(MODEL, 1) == onnx  # what serving does next: hot swap


def test_runs_are_recorded_and_read_back_in_order(
    pipeline: str,
    publisher: RegistryPublisher,
    kafka_settings: KafkaSettings,
    registry_settings: SchemaRegistrySettings,
) -> None:
    assert read_runs(pipeline, kafka_settings, registry_settings) == []
    runs = [
        {**TRAINING_RUN, "pipeline": pipeline, "run_id": str(uuid.uuid4()), "outcome": outcome}
        for outcome in ("FAILED", "REJECTED", "PROMOTED")
    ]
    for run in runs:
        publisher.record_run(run)  # type: ignore[arg-type]
    assert read_runs(pipeline, kafka_settings, registry_settings) == runs


def test_lineage_events_are_json_schema_records_any_reader_can_resolve(
    pipeline: str,
    publisher: RegistryPublisher,
    kafka: str,
    schema_registry: str,
) -> None:
    run_id = str(uuid.uuid4())
    common = {
        "run_id": run_id,
        "job": job_name(pipeline, MODEL),
        "namespace": kafka_namespace(kafka),
        "inputs": [TopicInput(f"{pipeline}.features", {0: (0, 10)}, [1])],
    }
    start = run_event("START", event_time=NOW, **common)  # type: ignore[arg-type]
    complete = run_event(
        "COMPLETE",
        event_time=NOW + datetime.timedelta(seconds=30),
        output=ModelOutput(publisher.topics.models, MODEL, 1, "ab" * 32),
        **common,  # type: ignore[arg-type]
    )
    publisher.record_lineage(start)
    publisher.record_lineage(complete)

    landed = read_all(kafka, publisher.topics.lineage, 2, idle_s=0.5)
    assert [m.key() for m in landed] == [run_id.encode()] * 2
    assert [decode_run_event(m.value()) for m in landed] == [start, complete]
    schema_id = int.from_bytes(landed[0].value()[1:5], "big")
    registered = registry_client(schema_registry).get_schema(schema_id)
    assert registered.schema_type == "JSON"
    assert "OpenLineageRunEvent" in (registered.schema_str or "")
