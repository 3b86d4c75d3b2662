"""Monitoring on a real broker, with the fraud generator's covariate-drift scenario.

A private copy of the fraud pipeline: 170,000 generated events, three per second of event
time (about 16 hours). A logistic regression fitted on the features of events 12,000 to
42,000 (the first hour left out: its windows were still filling) is the champion, with
the reference profile of those rows. The features service, serving's stream scoring and
the monitoring service run as processes, as `make up` runs them: 100,000 events of
stable traffic, 30,000 with the scenario's inflation, new category mix and new country,
then 40,000 stable again. Monitoring is killed (-9) while the alert is open and started
again before the traffic returns to normal.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from streamops_examples.fraud.generator import Generated, generate
from streamops_examples.fraud.scenarios import Scenario, load_scenario
from tests.support.features_service import produce_valid
from tests.support.monitoring import Monitored, monitored_pipeline, wait_for
from tests.support.pipelines import REPO

STABLE, DRIFTED, RECOVERED = 100_000, 30_000, 40_000
REFERENCE = range(12_000, 42_000)
PER_SECOND = 3.0
STEP_MS = 30 * 60_000  # fraud.yaml: drift windows of 1h every 30m
#: what inflation, a new category mix and a new country can move
MAY_DRIFT = ("amount", "merchant_category", "country", "distinct_country")


def scenario(file: str, start: int, length: int | None = None) -> Scenario:
    """The first phase of a scenario file, from record ``start`` for ``length`` records."""
    phase = load_scenario(REPO / "deploy/pipelines/scenarios" / file).phases[0]
    return Scenario(name=file, phases=[phase.model_copy(update={"start": start, "length": length})])


def plain_consumer_read(m: Monitored) -> list[dict[str, Any]]:
    """The alerts as the README's snippet reads them: AvroDeserializer, no streamops code."""
    registry = SchemaRegistryClient({"url": m.registry, "timeout": 30})
    decode = AvroDeserializer(registry, conf={"subject.name.strategy.type": "TOPIC"})
    topic = f"{m.pipeline.name}.alerts"
    consumer = Consumer(
        {
            "bootstrap.servers": m.kafka,
            "group.id": f"{topic}.on-call",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    alerts: list[dict[str, Any]] = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(a["kind"] == "DATA_DRIFT" for a in alerts):
            msg = consumer.poll(1.0)
            if msg is None or msg.error():
                continue
            alerts.append(
                decode(msg.value(), SerializationContext(msg.topic(), MessageField.VALUE))
            )
    finally:
        consumer.close()
    return alerts


def ms(value: datetime | int) -> int:
    return int(value.timestamp() * 1000) if isinstance(value, datetime) else value


@pytest.fixture(scope="module")
def generated() -> Iterator[Generated]:
    return generate(
        STABLE + DRIFTED + RECOVERED,
        seed=11,
        scenario=scenario("covariate-drift.yaml", STABLE, DRIFTED),
        events_per_second=PER_SECOND,
    )


@pytest.fixture(scope="module")
def monitored(
    tmp_path_factory: pytest.TempPathFactory,
    kafka: str,
    schema_registry: str,
    generated: Iterator[Generated],
) -> Iterator[Monitored]:
    first = list(itertools.islice(generated, REFERENCE.stop))
    directory: Path = tmp_path_factory.mktemp("monitoring")
    with monitored_pipeline(directory, kafka, schema_registry, "mon", first, REFERENCE) as m:
        yield m


def test_stable_traffic_then_covariate_drift_then_normal_again(
    monitored: Monitored, generated: Iterator[Generated]
) -> None:
    m = monitored
    rest = list(itertools.islice(generated, STABLE + DRIFTED - REFERENCE.stop))
    onset_ms = ms(rest[STABLE - REFERENCE.stop].event["event_time"])
    produce_valid(m.kafka, m.registry, m.pipeline, [g.event for g in rest])

    def opened() -> list[dict[str, Any]]:
        return [a for a in m.alerts() if a["kind"] == "DATA_DRIFT" and a["state"] == "OPEN"]

    def named(alerts: list[dict[str, Any]]) -> set[str]:
        return set().union(*(set(a["details"]["features"].split(",")) for a in alerts))

    # the alert opens on the first window that holds drifted data, and is sent again (same
    # id) as later windows find more features drifted
    found = wait_for(
        "a DATA_DRIFT alert naming amount, merchant_category and country",
        lambda: (o := opened()) and {"amount", "merchant_category", "country"} <= named(o) and o,
        timeout_s=300,
    )
    # stable traffic raised nothing: every alert is about a window that holds drifted data
    for a in m.alerts():
        assert ms(a["window"]["end"]) > onset_ms, a["message"]
    # within two windows of the onset (the first window holding drifted data, or the next)
    # the alert is open and names the drifted inputs; later windows may add the aggregates
    # whose windows fill with drifted amounts, and nothing else
    first_end = onset_ms - onset_ms % STEP_MS + STEP_MS
    early = [a for a in found if ms(a["window"]["end"]) <= first_end + STEP_MS]
    assert early and early[0] == found[0]
    assert {"amount", "merchant_category", "country"} <= named(early), named(early)
    assert all(any(k in n for k in MAY_DRIFT) for n in named(found)), named(found)
    assert len({a["alert_id"] for a in found}) == 1
    first = found[0]
    # the plain confluent-kafka consumer of services/monitoring/README.md reads them too
    assert first["alert_id"] in {a["alert_id"] for a in plain_consumer_read(m)}

    # a restart (kill -9) while the alert is open keeps it open: no second OPEN id
    m.kill_monitoring()
    m.start_monitoring()
    normal = list(generated)
    assert len(normal) == RECOVERED
    produce_valid(m.kafka, m.registry, m.pipeline, [g.event for g in normal])

    def resolved() -> list[dict[str, Any]]:
        return [a for a in m.alerts() if a["kind"] == "DATA_DRIFT" and a["state"] == "RESOLVED"]

    [done] = wait_for("the DATA_DRIFT alert resolved", resolved, timeout_s=300)
    assert done["alert_id"] == first["alert_id"]
    drift = [a for a in m.alerts() if a["kind"] == "DATA_DRIFT"]
    assert {a["alert_id"] for a in drift} == {first["alert_id"]}
    assert drift[-1]["state"] == "RESOLVED"
