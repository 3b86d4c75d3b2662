"""Validation's state against the real broker: no self-duplicates after an aborted
transaction, open alerts that survive restarts and rebalances, one alert for an incident
whatever the number of replicas (asserted on the whole alerts log, not a compacted view)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import TopicPartition
from confluent_kafka.admin import AdminClient

from streamops.pipeline import Pipeline
from streamops.runtime import StreamSettings
from streamops.runtime.guarantees import ExactlyOnce, Pending
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.state.records import ChangelogRecord
from streamops.topics import TopicNames
from streamops_examples.fraud.generator import Generated, generate
from streamops_examples.fraud.scenarios import load_scenario
from streamops_validation.service import build_stage
from streamops_validation.settings import ValidationSettings
from tests.integration.validation.conftest import Start
from tests.support.confluent import avro_deserializer, registry_client
from tests.support.kafka import read_all
from tests.support.pipelines import REPO, create_topics, private_pipeline, produce_events
from tests.support.stage_process import committed_total, wait_for

INCIDENT = REPO / "deploy" / "pipelines" / "scenarios" / "quality-incident.yaml"
TWO_SECOND_WINDOWS = {"    window: 30s\n": "    window: 2s\n"}


def incident_phases(seed: int) -> tuple[list[list[Generated]], str]:
    """Clean, incident, clean, clean: each phase >= min_records, and the incident's subject."""
    generated = list(generate(20_000, seed=seed, scenario=load_scenario(INCIDENT)))
    bad = [i for i, g in enumerate(generated) if g.faults]
    first, last = bad[0], bad[-1]
    middle = last + 1 + (len(generated) - last) // 2
    phases = [
        generated[:first],
        generated[first : last + 1],
        generated[last + 1 : middle],
        generated[middle:],
    ]
    [subject] = {f"{rule}:{field}" for g in generated for rule, field in g.faults}
    return phases, subject


def play(
    kafka: str, registry: str, pipeline: Pipeline, phase: list[Generated], done: int, log: Path
) -> int:
    """Produce a phase, wait until validated, and let its 2 s windows close."""
    produce_events(kafka, registry, pipeline, phase)
    done += len(phase)
    names = TopicNames(pipeline.name)
    wait_for(
        lambda: committed_total(kafka, names.stage("validation"), names.events_raw, 3) == done,
        120,
        f"{done} events validated",
        log,
    )
    time.sleep(2.5)
    return done


def alerts_log(kafka: str, registry: str, pipeline: Pipeline, expected: int) -> list[Any]:
    """Every record of the alerts topic, in order (compaction has not run on it)."""
    deserializer = avro_deserializer(registry_client(registry))
    messages = read_all(kafka, TopicNames(pipeline.name).alerts, expected=expected, idle_s=5)
    return [deserializer(m.value(), None) for m in messages]


def assert_one_episode(alerts: list[Any], subject: str) -> None:
    assert [(a["subject"], a["state"]) for a in alerts] == [
        (subject, "OPEN"),
        (subject, "RESOLVED"),
    ], [(a["subject"], a["state"], a["window"]) for a in alerts]
    assert alerts[0]["alert_id"] == alerts[1]["alert_id"]
    assert alerts[0]["value"] > 0.02 > alerts[1]["value"]


def test_a_batch_redone_after_an_aborted_transaction_rejects_nothing_as_a_duplicate(
    kafka: str, schema_registry: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = private_pipeline(tmp_path)
    create_topics(kafka, pipeline)
    events = list(generate(2_000, seed=3))
    assert not any(g.faults for g in events)
    produce_events(kafka, schema_registry, pipeline, events)

    aborted: list[int] = []
    commit = ExactlyOnce.write

    def abort_the_first(
        self: ExactlyOnce,
        records: Sequence[Pending],
        offsets: list[TopicPartition],
        changelog: Sequence[ChangelogRecord] = (),
    ) -> bool:
        if aborted or not offsets:
            return commit(self, records, offsets, changelog)
        self.producer.begin_transaction()  # a real transaction on the broker, then aborted
        self._produce_all(records)
        self._produce_changelog(self.producer, changelog)
        self.producer.abort_transaction(30)
        aborted.append(len(records))
        return False

    monkeypatch.setattr(ExactlyOnce, "write", abort_the_first)
    stage = build_stage(
        pipeline,
        ValidationSettings(health_port=0),
        StreamSettings(processing_guarantee="exactly_once", instance_id="abort"),
        KafkaSettings(bootstrap_servers=kafka),
        SchemaRegistrySettings(url=schema_registry),
    )
    thread = threading.Thread(target=stage.run, daemon=True)
    thread.start()
    names = TopicNames(pipeline.name)
    try:
        wait_for(
            lambda: committed_total(kafka, stage.name, names.events_raw, 3) == len(events),
            120,
            "all events validated",
            tmp_path / "none.log",
        )
    finally:
        stage.stop()
        thread.join(60)
    assert aborted, "the first transaction was aborted"
    valid = read_all(kafka, names.events_valid, expected=len(events), idle_s=2)
    assert len(valid) == len(events), "every event valid once, none a duplicate of itself"
    assert read_all(kafka, names.events_dlq, expected=0, idle_s=2, timeout_s=10) == []


@pytest.mark.chaos
def test_an_open_alert_survives_a_kill_a_restart_and_a_rebalance(
    kafka: str, schema_registry: str, tmp_path: Path, validation_service: Start
) -> None:
    pipeline = private_pipeline(tmp_path, replace=TWO_SECOND_WINDOWS)
    create_topics(kafka, pipeline)
    phases, subject = incident_phases(seed=5)
    first, _, log = validation_service(pipeline, instance="a")
    done = 0
    for phase in phases[:2]:
        done = play(kafka, schema_registry, pipeline, phase, done, log)
    [opened] = alerts_log(kafka, schema_registry, pipeline, expected=1)
    assert (opened["subject"], opened["state"]) == (subject, "OPEN")

    first.kill()  # kill -9, then the same replica comes back
    first.wait()
    first, first_port, log = validation_service(pipeline, instance="a")
    second, second_port, _ = validation_service(pipeline, instance="b")  # b joins ...
    group = TopicNames(pipeline.name).stage("validation")
    for port in (first_port, second_port):
        wait_for(lambda p=port: _ready(p), 60, "the replicas ready", log)
    wait_for(lambda: _members(kafka, group) == 2, 60, "both replicas holding partitions", log)
    first.send_signal(signal.SIGTERM)  # ... and takes everything over, owner included
    assert first.wait(60) == 0
    second_log = sorted(tmp_path.glob("validation-b-*.log"))[-1]
    for phase in phases[2:]:
        done = play(kafka, schema_registry, pipeline, phase, done, second_log)
    assert_one_episode(alerts_log(kafka, schema_registry, pipeline, expected=2), subject)
    assert second.poll() is None


def test_two_replicas_raise_one_alert_for_one_incident(
    kafka: str, schema_registry: str, tmp_path: Path, validation_service: Start
) -> None:
    pipeline = private_pipeline(tmp_path, replace=TWO_SECOND_WINDOWS)
    create_topics(kafka, pipeline)
    phases, subject = incident_phases(seed=7)
    _, port_a, log = validation_service(pipeline, instance="a")
    _, port_b, _ = validation_service(pipeline, instance="b")
    for port in (port_a, port_b):
        wait_for(lambda p=port: _ready(p), 60, "the replicas ready", log)
    group = TopicNames(pipeline.name).stage("validation")
    wait_for(lambda: _members(kafka, group) == 2, 60, "both replicas in the group", log)
    done = 0
    for phase in phases:
        done = play(kafka, schema_registry, pipeline, phase, done, log)
    bad = {g.event["card_id"] for g in phases[1] if g.faults}
    assert len(bad) > 50  # spread over many keys, so over the partitions of both replicas
    assert_one_episode(alerts_log(kafka, schema_registry, pipeline, expected=2), subject)


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _members(kafka: str, group: str) -> int:
    """How many members of ``group`` hold partitions."""
    admin = AdminClient({"bootstrap.servers": kafka})
    [future] = admin.describe_consumer_groups([group]).values()
    try:
        description = future.result(timeout=10)
    except Exception:
        return 0
    owners = {
        m.client_id + m.member_id: len(m.assignment.topic_partitions) for m in description.members
    }
    return sum(1 for n in owners.values() if n > 0)
