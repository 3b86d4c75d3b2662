"""The validation service against the real broker: nothing lost, every fault explained, alerts."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from streamops.pipeline import Pipeline
from streamops.serde import AvroDecoder
from streamops_examples.fraud.generator import generate
from streamops_examples.fraud.scenarios import load_scenario
from tests.support.confluent import avro_deserializer, registry_client
from tests.support.kafka import read_all
from tests.support.pipelines import REPO, create_topics, private_pipeline, produce_events
from tests.support.stage_process import committed_total, wait_for

SCENARIOS = REPO / "deploy" / "pipelines" / "scenarios"
Service = Callable[[Pipeline], tuple[subprocess.Popen[bytes], int, Path]]


def test_100k_events_with_3pct_faults_are_all_accounted_for(
    kafka: str, schema_registry: str, tmp_path: Path, validation_service: Service
) -> None:
    pipeline = private_pipeline(tmp_path)
    create_topics(kafka, pipeline)
    generated = list(
        generate(100_000, seed=11, scenario=load_scenario(SCENARIOS / "dirty-3pct.yaml"))
    )
    faulty = {g.event["transaction_id"]: set(g.faults) for g in generated if g.faults}
    assert 2_000 < len(faulty) < 4_000, len(faulty)  # about 3%
    produce_events(kafka, schema_registry, pipeline, generated)

    process, _, log = validation_service(pipeline)
    group = f"{pipeline.name}.validation"
    raw = f"{pipeline.name}.events.raw"
    wait_for(
        lambda: committed_total(kafka, group, raw, 3) == 100_000, 180, "all events validated", log
    )
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0

    registry = registry_client(schema_registry)
    decoder = AvroDecoder(registry)
    valid = read_all(
        kafka,
        f"{pipeline.name}.events.valid",
        expected=100_000 - len(faulty),
        idle_s=2,
        timeout_s=120,
    )
    letters = [
        avro_deserializer(registry)(m.value(), None)
        for m in read_all(
            kafka, f"{pipeline.name}.events.dlq", expected=len(faulty), idle_s=2, timeout_s=60
        )
    ]
    assert len(valid) + len(letters) == 100_000, "every event is valid or dead-lettered"

    valid_ids = {decoder.decode(m.value())["transaction_id"] for m in valid}
    assert valid_ids == {g.event["transaction_id"] for g in generated if not g.faults}, (
        "no clean event rejected, no faulty one let through"
    )
    explained = {}
    for letter in letters:
        assert letter["error_kind"] == "VALIDATION" and letter["stage"] == group
        original = decoder.decode(letter["value"])  # the original bytes, unchanged
        explained[original["transaction_id"]] = {(r["rule"], r["field"]) for r in letter["reasons"]}
    assert explained == faulty, "each fault in the DLQ under exactly its rule and field"
    print(Counter(rule for rules in faulty.values() for rule, _ in rules))


def test_a_quality_incident_opens_one_alert_and_resolves_it(
    kafka: str, schema_registry: str, tmp_path: Path, validation_service: Service
) -> None:
    # Alert windows of 2 s instead of 30 s, so the test needs seconds, not minutes.
    pipeline = private_pipeline(tmp_path, replace={"    window: 30s\n": "    window: 2s\n"})
    create_topics(kafka, pipeline)
    generated = list(
        generate(20_000, seed=5, scenario=load_scenario(SCENARIOS / "quality-incident.yaml"))
    )
    incident = [i for i, g in enumerate(generated) if g.faults]
    first, last = incident[0], incident[-1]
    phases = [
        generated[:first],
        generated[first : last + 1],
        generated[last + 1 : last + 1 + (len(generated) - last) // 2],
        generated[last + 1 + (len(generated) - last) // 2 :],
    ]
    assert all(len(p) >= 400 for p in phases), [len(p) for p in phases]  # >= min_records

    process, _, log = validation_service(pipeline)
    group, raw = f"{pipeline.name}.validation", f"{pipeline.name}.events.raw"
    done = 0
    for phase in phases:  # each phase lands in windows of its own
        produce_events(kafka, schema_registry, pipeline, phase)
        done += len(phase)
        wait_for(
            lambda d=done: committed_total(kafka, group, raw, 3) == d,
            120,
            f"{done} events validated",
            log,
        )
        time.sleep(2.5)  # the window closes (while idle, through the stage's tick)
    assert process.poll() is None

    registry = registry_client(schema_registry)
    alerts = [
        avro_deserializer(registry)(m.value(), None)
        for m in read_all(kafka, f"{pipeline.name}.alerts", expected=2, idle_s=3)
    ]
    quality = [(a["subject"], a["state"]) for a in alerts]
    incident_rules = {f"{rule}:{field}" for g in generated for rule, field in g.faults}
    assert len(incident_rules) == 1, incident_rules
    [subject] = incident_rules
    assert quality == [(subject, "OPEN"), (subject, "RESOLVED")], quality
    assert alerts[0]["alert_id"] == alerts[1]["alert_id"]
    assert alerts[0]["value"] > 0.02 > alerts[1]["value"]
