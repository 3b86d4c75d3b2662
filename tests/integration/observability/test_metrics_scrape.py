"""Every service's /metrics as Prometheus reads it.

The six services run as processes on a private pipeline, as `make up` runs them, and 200
events posted to ingestion flow through validation, features and monitoring. `promtool
check metrics` must have nothing to say about any service's page; a real Prometheus,
scraping every service each second as deploy/prometheus/prometheus.yml scrapes the local
stack, must give back through its query API the count ingestion accepted, and must run
every query of the Grafana dashboard (deploy/grafana/streamops.json).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from confluent_kafka.admin import AdminClient

from streamops_examples.fraud.generator import generate
from streamops_localstack.services import SERVICES as LOCAL_STACK
from tests.support.features_service import start_service
from tests.support.kafka import delete_pipeline_topics, free_ports
from tests.support.pipelines import REPO, create_topics, private_pipeline

SERVICES = ("ingestion", "validation", "features", "training", "serving", "monitoring")
EVENTS = 200
#: how long the services may take to serve /metrics, all started at once: each start-up
#: imports the whole CLI (scikit-learn included), ~16 s of CPU without .pyc files, so six
#: take a minute on two idle cores and several on a busy machine
STARTUP_S = 300
DASHBOARD = REPO / "deploy" / "grafana" / "streamops.json"
#: dashboard panels the events posted here fill (no model has been trained yet)
FILLED = (
    "Open alerts",
    "Records in per stage",
    "Records out per stage and topic",
    "Ingestion",
    "Validation and features",
    "Monitored records",
    "Batch duration p99 per stage",
    "Event time behind wall clock (features)",
    "Labels",
    "State keys per store",
)


@dataclass(frozen=True)
class Stack:
    """The running services' metrics ports, and the Prometheus scraping them."""

    pipeline: str
    ports: dict[str, int]
    prometheus: str
    logs: Path

    def metrics(self, service: str) -> str:
        return httpx.get(f"http://127.0.0.1:{self.ports[service]}/metrics").text

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant result of ``expr``; fails on Prometheus's error (a PromQL mistake)."""
        body = httpx.get(f"{self.prometheus}/api/v1/query", params={"query": expr}).json()
        assert body["status"] == "success", (expr, body)
        return list(body["data"]["result"])


def _as_grafana_sends(expr: str, stack: Stack) -> str:
    return expr.replace("$pipeline", stack.pipeline).replace("$__rate_interval", "1m")


def _tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} not found: `make setup` installs it (Debian's prometheus package)"
    return found


def _wait(
    what: str,
    check: Callable[[], Any],
    log: Path,
    timeout_s: float = 60,
    process: subprocess.Popen[bytes] | None = None,
) -> Any:
    """``check()``'s first true answer; fails with the tail of ``log`` after ``timeout_s``
    or as soon as ``process`` exits."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            found = check()
        except httpx.HTTPError:
            found = None
        if found:
            return found
        exited = process is not None and process.poll() is not None
        if exited or time.monotonic() > deadline:
            tail = log.read_text()[-3000:] if log.exists() else ""
            why = "it exited" if exited else "timed out"
            raise AssertionError(f"{why} waiting for {what}; {log.name}:\n{tail}")
        time.sleep(0.25)


def _start_prometheus(
    directory: Path, ports: dict[str, int]
) -> tuple[subprocess.Popen[bytes], str]:
    targets = ", ".join(f"'127.0.0.1:{port}'" for port in ports.values())
    config = directory / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"scrape_configs: [{{job_name: streamops, static_configs: [{{targets: [{targets}]}}]}}]\n"
    )
    [port] = free_ports(1)
    with (directory / "prometheus.log").open("wb") as out:
        process = subprocess.Popen(
            [
                _tool("prometheus"),
                f"--config.file={config}",
                f"--storage.tsdb.path={directory / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return process, f"http://127.0.0.1:{port}"


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, kafka: str, schema_registry: str
) -> Iterator[Stack]:
    """The six services and Prometheus, started together; the events posted."""
    directory = tmp_path_factory.mktemp("observability")
    pipeline = private_pipeline(directory, "obs")
    create_topics(kafka, pipeline)
    ports = dict(zip(SERVICES, free_ports(len(SERVICES)), strict=True))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for service, port in ports.items():
            env = {
                f"STREAMOPS_{service.upper()}_HEALTH_PORT": str(port),
                "STREAMOPS_PII_SALT": "x",
                "STREAMOPS_SERVING_MODE": "stream",
                "STREAMOPS_INGESTION_TOPIC_PARTITIONS": "3",
                "STREAMOPS_TRAINING_CARDS_DIR": str(directory / "cards"),
            }
            log = directory / f"{service}.log"
            processes.append(start_service(service, pipeline, kafka, schema_registry, log, env))
        prometheus, prometheus_url = _start_prometheus(directory, ports)
        processes.append(prometheus)
        # /metrics is what matters (/readyz may wait for a champion that never comes)
        for (service, port), process in zip(ports.items(), processes[:-1], strict=True):
            _wait(
                f"{service}'s /metrics",
                lambda port=port: httpx.get(f"http://127.0.0.1:{port}/metrics").is_success,
                directory / f"{service}.log",
                STARTUP_S,
                process,
            )
        ingestion = f"http://127.0.0.1:{ports['ingestion']}"
        log = directory / "ingestion.log"
        _wait("ingestion's /readyz", lambda: httpx.get(f"{ingestion}/readyz").is_success, log)
        events = [g.event for g in generate(EVENTS, seed=1, events_per_second=5)]
        answer = httpx.post(
            f"{ingestion}/v1/pipelines/{pipeline.name}/events:batch", json=events, timeout=30
        )
        assert answer.is_success, answer.text
        yield Stack(pipeline.name, ports, prometheus_url, directory)
    finally:
        _stop(processes)
        delete_pipeline_topics(AdminClient({"bootstrap.servers": kafka}), pipeline.name)


def test_the_events_went_through(stack: Stack) -> None:
    """The pages below hold series, not only HELP and TYPE lines."""
    counted = f'streamops_features_events_total{{pipeline="{stack.pipeline}"}} {EVENTS}.0'
    _wait(
        "features to count the events",
        lambda: counted in stack.metrics("features"),
        stack.logs / "features.log",
    )


@pytest.mark.parametrize("service", SERVICES)
def test_promtool_finds_nothing_to_say(stack: Stack, service: str) -> None:
    page = stack.metrics(service)
    assert f"streamops_{service}_" in page
    checked = subprocess.run(
        [_tool("promtool"), "check", "metrics"], input=page, capture_output=True, text=True
    )
    assert (checked.returncode, checked.stdout, checked.stderr) == (0, "", ""), page


def test_prometheus_reads_back_what_ingestion_accepted(stack: Stack) -> None:
    accepted = f'streamops_ingestion_events_accepted_total{{pipeline="{stack.pipeline}"}}'
    log = stack.logs / "prometheus.log"
    [series] = _wait("the accepted count in Prometheus", lambda: stack.query(accepted), log)
    assert float(series["value"][1]) == EVENTS
    # every service was scraped, and its page held streamops series
    per_target = 'count by (instance) ({__name__=~"streamops_.+", job="streamops"})'
    scraped = _wait(
        "a scrape of every service",
        lambda: len(found := stack.query(per_target)) == len(SERVICES) and found,
        log,
    )
    assert {s["metric"]["instance"] for s in scraped} == {
        f"127.0.0.1:{port}" for port in stack.ports.values()
    }


def test_prometheus_runs_every_dashboard_query(stack: Stack) -> None:
    """Every query parses and runs; those the traffic (events, no model yet) fills fill."""
    panels = [
        (panel["title"], [_as_grafana_sends(target["expr"], stack) for target in panel["targets"]])
        for panel in json.loads(DASHBOARD.read_text())["panels"]
        if panel["type"] != "row"
    ]

    def filled() -> set[str]:
        # a list, not a generator: every query runs, and each must succeed
        return {title for title, exprs in panels if any([stack.query(e) for e in exprs])}

    # the stage selector's escaped dot reaches Prometheus as a regex for this pipeline
    [records_out] = dict(panels)["Records out per stage and topic"]
    stages = {f"{stack.pipeline}.validation", f"{stack.pipeline}.features"}

    def stages_out() -> set[str]:
        return {series["metric"]["stage"] for series in stack.query(records_out)}

    log = stack.logs / "prometheus.log"
    _wait("the panels the events fill", lambda: set(FILLED) <= filled(), log)
    _wait("records out of validation and features", lambda: stages <= stages_out(), log)


def test_the_local_stack_config_is_valid() -> None:
    config = REPO / "deploy" / "prometheus" / "prometheus.yml"
    checked = subprocess.run(
        [_tool("promtool"), "check", "config", str(config)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    jobs = yaml.safe_load(config.read_text())["scrape_configs"]
    scraped = {
        (group["labels"]["service"], target)
        for job in jobs
        for group in job["static_configs"]
        for target in group["targets"]
    }
    assert scraped == {(s.name, f"localhost:{s.port}") for s in LOCAL_STACK}
