"""Monitoring on a real broker, with the fraud generator's covariate-drift scenario.

A private copy of the fraud pipeline: 170,000 generated events, three per second of event
time (about 16 hours). A logistic regression fitted on the features of events 12,000 to
42,000 (the first hour left out: its windows were still filling) is the champion, with
the reference profile of those rows. Then the features service, serving's stream scoring
and the monitoring service run as processes, as `make up` runs them: 100,000 events of
stable traffic, 30,000 with the scenario's inflation, new category mix and new country,
then 40,000 stable again. Monitoring is killed (-9) while the alert is open and started
again before the traffic returns to normal.
"""

from __future__ import annotations

import itertools
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient

from streamops.pipeline import Pipeline
from streamops.topics import TopicNames
from streamops_examples.fraud.generator import Generated, generate
from streamops_examples.fraud.scenarios import Phase, Scenario, load_scenario
from tests.support.features_service import (
    produce_valid,
    read_features,
    read_records,
    start_features,
    start_service,
)
from tests.support.kafka import delete_pipeline_topics
from tests.support.monitoring import reference_profile
from tests.support.pipelines import REPO, create_topics, private_pipeline
from tests.support.serving import Registry, fit_model, frame_of, to_onnx_bytes

STABLE, DRIFTED, RECOVERED = 100_000, 30_000, 40_000
REFERENCE = range(12_000, 42_000)
PER_SECOND = 3.0
STEP_MS = 30 * 60_000  # fraud.yaml: drift windows of 1h every 30m
#: what inflation, a new category mix and a new country can move
MAY_DRIFT = ("amount", "merchant_category", "country", "distinct_country")


def _scenario() -> Scenario:
    covariate = load_scenario(REPO / "deploy/pipelines/scenarios/covariate-drift.yaml")
    phase = covariate.phases[0]
    return Scenario(
        name="covariate-then-normal",
        phases=[Phase(name=phase.name, start=STABLE, length=DRIFTED, covariate=phase.covariate)],
    )


def _wait(what: str, check: Callable[[], Any], timeout_s: float = 180) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(1)


def _ms(value: datetime | int) -> int:
    return int(value.timestamp() * 1000) if isinstance(value, datetime) else value


@pytest.fixture(scope="module")
def monitored(
    tmp_path_factory: pytest.TempPathFactory, kafka: str, schema_registry: str
) -> Iterator[dict[str, Any]]:
    directory = tmp_path_factory.mktemp("monitoring")
    pipeline = private_pipeline(directory, "mon")
    create_topics(kafka, pipeline)
    generated: Iterator[Generated] = generate(
        STABLE + DRIFTED + RECOVERED, seed=11, scenario=_scenario(), events_per_second=PER_SECOND
    )
    first = list(itertools.islice(generated, REFERENCE.stop))
    produce_valid(kafka, schema_registry, pipeline, [g.event for g in first])
    processes: list[subprocess.Popen[bytes]] = []
    registry = None
    try:
        processes.append(start_features(pipeline, kafka, schema_registry, directory / "f.log"))
        records = _wait(
            "the reference's features",
            lambda: (
                (r := read_features(kafka, schema_registry, pipeline))
                and len(r) >= len(first)
                and r
            ),
        )
        fraud = {g.event["transaction_id"]: int(g.is_fraud) for g in first}
        by_id = {r["event_id"]: r for r in records}
        rows = [by_id[g.event["transaction_id"]] for g in first[REFERENCE.start :]]
        model = fit_model(pipeline, rows, [fraud[r["event_id"]] for r in rows], "logistic")
        scores = model.predict_proba(frame_of(pipeline, rows))[:, 1]
        registry = Registry(pipeline, kafka, schema_registry)
        registry.publish(
            1,
            to_onnx_bytes(pipeline, model),
            threshold=0.3,
            reference_profile=reference_profile(pipeline, rows, scores),
        )
        registry.deploy("PROMOTE", 1)
        env = {
            "STREAMOPS_PII_SALT": "test-salt",
            "STREAMOPS_SERVING_MODE": "stream",
            "STREAMOPS_SERVING_HEALTH_PORT": "0",
        }
        processes.append(
            start_service("serving", pipeline, kafka, schema_registry, directory / "s.log", env)
        )
        monitoring_env = {"STREAMOPS_MONITORING_HEALTH_PORT": "0"}
        start_monitoring = lambda: start_service(  # noqa: E731
            "monitoring", pipeline, kafka, schema_registry, directory / "m.log", monitoring_env
        )
        processes.append(start_monitoring())
        yield {
            "pipeline": pipeline,
            "kafka": kafka,
            "registry": schema_registry,
            "generated": generated,
            "first": first,
            "processes": processes,
            "start_monitoring": start_monitoring,
            "log": directory / "m.log",
        }
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        if registry is not None:
            registry.close()
        delete_pipeline_topics(AdminClient({"bootstrap.servers": kafka}), pipeline.name)


def _alerts(m: dict[str, Any]) -> list[dict[str, Any]]:
    topic = TopicNames(m["pipeline"].name).alerts
    return [
        a for a in read_records(m["kafka"], m["registry"], topic, 1) if a["kind"] != "DATA_QUALITY"
    ]


def test_stable_traffic_then_covariate_drift_then_normal_again(monitored: dict[str, Any]) -> None:
    m = monitored
    pipeline: Pipeline = m["pipeline"]
    rest = list(itertools.islice(m["generated"], STABLE + DRIFTED - REFERENCE.stop))
    onset_ms = _ms(rest[STABLE - REFERENCE.stop].event["event_time"])
    produce_valid(m["kafka"], m["registry"], pipeline, [g.event for g in rest])

    def opened() -> list[dict[str, Any]]:
        return [a for a in _alerts(m) if a["kind"] == "DATA_DRIFT" and a["state"] == "OPEN"]

    def named(alerts: list[dict[str, Any]]) -> set[str]:
        return set().union(*(set(a["details"]["features"].split(",")) for a in alerts))

    # the alert opens on the first window that holds drifted data, and is sent again (same
    # id) as later windows find more features drifted
    found = _wait(
        "a DATA_DRIFT alert naming amount, merchant_category and country",
        lambda: (o := opened()) and {"amount", "merchant_category", "country"} <= named(o) and o,
        timeout_s=300,
    )
    # stable traffic raised nothing: every alert is about a window that holds drifted data
    for a in _alerts(m):
        assert _ms(a["window"]["end"]) > onset_ms, a["message"]
    # within two windows of the onset (the first window holding drifted data, or the next)
    # the alert is open and names the drifted inputs; later windows may add the aggregates
    # whose windows fill with drifted amounts, and nothing else
    first_end = onset_ms - onset_ms % STEP_MS + STEP_MS
    early = [a for a in found if _ms(a["window"]["end"]) <= first_end + STEP_MS]
    assert early and early[0] == found[0]
    assert {"amount", "merchant_category", "country"} <= named(early), named(early)
    assert all(any(k in n for k in MAY_DRIFT) for n in named(found)), named(found)
    assert len({a["alert_id"] for a in found}) == 1
    first = found[0]

    # a restart (kill -9) while the alert is open keeps it open: no second OPEN id
    monitoring = m["processes"][-1]
    monitoring.send_signal(signal.SIGKILL)
    monitoring.wait(30)
    m["processes"][-1] = m["start_monitoring"]()
    normal = list(m["generated"])
    assert len(normal) == RECOVERED
    produce_valid(m["kafka"], m["registry"], pipeline, [g.event for g in normal])

    def resolved() -> list[dict[str, Any]]:
        return [a for a in _alerts(m) if a["kind"] == "DATA_DRIFT" and a["state"] == "RESOLVED"]

    [done] = _wait("the DATA_DRIFT alert resolved", resolved, timeout_s=300)
    assert done["alert_id"] == first["alert_id"]
    drift = [a for a in _alerts(m) if a["kind"] == "DATA_DRIFT"]
    assert {a["alert_id"] for a in drift} == {first["alert_id"]}
    assert drift[-1]["state"] == "RESOLVED"
