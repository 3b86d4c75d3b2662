"""The services of one private pipeline as processes, as `make up` runs them, for tests of
the loop they make together (the delivery example, the fraud example's closed loop)."""

from __future__ import annotations

import re
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from streamops.pipeline import Pipeline
from streamops.registry import ModelRegistry, RegistryError
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.topics import TopicNames
from streamops_localstack.liveness import Liveness, health_status
from tests.support.delivery import count_records, delete_topics
from tests.support.features_service import read_records, start_service
from tests.support.kafka import free_ports
from tests.support.pipelines import create_topics

#: what `Loop.diagnosis` shows of monitoring's /metrics: whether it judges, and what
DIAGNOSED_METRICS = (
    "streamops_monitoring_records_total",
    "streamops_monitoring_late_records_total",
    "streamops_monitoring_late_partials_total",
    "streamops_monitoring_windows_judged_total",
    "streamops_monitoring_labelled_predictions_total",
    "streamops_monitoring_drifted_features",
    "streamops_monitoring_model_metric",
    "streamops_monitoring_open_alerts",
    "streamops_monitoring_champion_version",
)


def wait(what: str, check: Callable[[], Any], loop: Loop, timeout_s: float = 90) -> Any:
    """``check()``'s first true answer; fails after ``timeout_s`` with `Loop.diagnosis`."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{loop.diagnosis()}")
        time.sleep(0.5)


def ms(value: datetime | int) -> int:
    """A timestamp as read back (an aware datetime) or as written (int ms), in ms."""
    return int(value.timestamp() * 1000) if isinstance(value, datetime) else value


class Loop:
    """The running services of one private pipeline, each with its own health port and log."""

    def __init__(
        self,
        directory: Path,
        kafka: str,
        registry: str,
        pipeline: Pipeline,
        services: Iterable[str],
        env: dict[str, str] | None = None,
    ) -> None:
        self.directory, self.kafka, self.registry, self.pipeline = (
            directory,
            kafka,
            registry,
            pipeline,
        )
        self.names = TopicNames(pipeline.name)
        self.services = tuple(services)
        self.ports = dict(zip(self.services, free_ports(len(self.services)), strict=True))
        self.env = {
            "STREAMOPS_PII_SALT": "test-salt",
            "STREAMOPS_SERVING_MODE": "stream",
            "STREAMOPS_TRAINING_CARDS_DIR": str(directory / "cards"),
            "STREAMOPS_TRAINING_POLL_SECONDS": "0.2",
            **(env or {}),
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        #: services started again by `supervise` (their process exited, or /healthz failed)
        self.restarts: Counter[str] = Counter()
        #: per service: deploy/k8s's probes on its /healthz since it was last started
        self._liveness: dict[str, Liveness] = {}
        self._lock = threading.Lock()

    def start(self, service: str) -> None:
        env = {f"STREAMOPS_{service.upper()}_HEALTH_PORT": str(self.ports[service]), **self.env}
        process = start_service(
            service, self.pipeline, self.kafka, self.registry, self.log(service), env
        )
        with self._lock:
            self.processes[service] = process
            self._liveness[service] = Liveness(time.monotonic())

    def supervise(self) -> None:
        """What an orchestrator does (deploy/k8s: restartPolicy Always, a startup and a
        liveness probe on /healthz): start again each service whose process exited, and
        kill -9 and start again each one whose /healthz answers 503 (a stage stuck, or whose
        consumer is unusable, e.g. after the broker crashed: `streamops.runtime.Stage.live`)
        or does not answer for too long (`_unhealthy`)."""
        with self._lock:
            running = dict(self.processes)
        for service, process in running.items():
            exited = process.poll() is not None
            if not exited and not self._unhealthy(service):
                continue
            with self._lock:
                if self.processes.get(service) is not process:
                    continue  # stopped or restarted meanwhile
                del self.processes[service]
            if not exited:
                process.kill()
                process.wait(30)
            self.restarts[service] += 1
            self.start(service)

    def _unhealthy(self, service: str) -> bool:
        """deploy/k8s's probes (`streamops_localstack.liveness`): /healthz answers, and not
        200; or it goes too long without an answer (a process hung where it cannot answer
        is restarted too, not waited for)."""
        liveness = self._liveness.setdefault(service, Liveness(time.monotonic()))
        return liveness.failed(health_status(self.ports[service]), time.monotonic())

    def start_all(self) -> None:
        for service in self.services:
            self.start(service)

    def stop(self, service: str) -> None:
        with self._lock:
            process = self.processes.pop(service)
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop_all(self) -> None:
        for service in list(self.processes):
            self.stop(service)

    def kill(self, service: str) -> None:
        """kill -9, as a crash."""
        with self._lock:
            process = self.processes.pop(service)
        process.send_signal(signal.SIGKILL)
        process.wait(30)

    def log(self, service: str) -> Path:
        return self.directory / f"{service}.log"

    def diagnosis(self, lines: int = 12) -> str:
        """What a stalled loop looks like from outside: the supervisor's restarts, the
        records on each of the loop's topics, the alerts written so far (with the window
        and what they say), monitoring's judging (`DIAGNOSED_METRICS`), and the last
        ``lines`` log lines of each service."""
        try:
            alerts = [
                f"{a['kind']} {a['state']} v{a['model_version']} window end "
                f"{a['window']['end']}: {a['message']}"
                for a in self.alerts()
            ]
        except Exception as exc:  # a broken cluster is part of the diagnosis
            alerts = [f"(unreadable: {exc})"]
        parts = [f"restarted by the supervisor: {dict(self.restarts)}", "alerts:", *alerts]
        parts.append(f"records: {self._counts()}")
        # monitoring first: CI shows the head and the tail of a long output
        services = sorted(self.services, key=lambda s: s != "monitoring")
        if "monitoring" in self.services:
            text = self.metrics("monitoring")
            parts.append(f"monitoring's event time: {_event_times(text) or '(none yet)'}")
            shown = [line for line in text.splitlines() if line.startswith(DIAGNOSED_METRICS)]
            parts.append("monitoring's metrics:\n" + "\n".join(shown or ["(no answer)"]))
        for service in services:
            log = self.log(service)
            tail = log.read_text().splitlines()[-lines:] if log.exists() else ["(no log)"]
            parts.append(f"--- {log.name}:\n" + "\n".join(tail))
        return "\n".join(parts)

    def _counts(self) -> dict[str, int | str]:
        """Records on each topic the loop's data goes through, or why they are unknown."""
        names = self.names
        topics = {
            "events.raw": names.events_raw,
            "events.valid": names.events_valid,
            "features": names.features,
            "predictions": names.predictions,
            "labels.valid": names.labels_valid,
        }
        counts: dict[str, int | str] = {}
        for short, topic in topics.items():
            try:
                counts[short] = self.count(topic)
            except Exception as exc:  # a broken cluster is part of the diagnosis
                counts[short] = f"unreadable: {exc}"
        return counts

    def metrics(self, service: str) -> str:
        try:
            return httpx.get(f"http://127.0.0.1:{self.ports[service]}/metrics").text
        except httpx.HTTPError:
            return ""

    def count(self, topic: str, partitions: int = 3) -> int:
        return count_records(self.kafka, topic, partitions)

    def records(self, topic: str, partitions: int = 3) -> list[dict[str, Any]]:
        return read_records(self.kafka, self.registry, topic, partitions)

    def alerts(self, *kinds: str) -> list[dict[str, Any]]:
        """The alerts of ``kinds`` (default: all) in the order they were written."""
        found = self.records(self.names.alerts, 1)
        return [a for a in found if not kinds or a["kind"] in kinds]

    def model(self, name: str) -> dict[str, Any] | None:
        """The model's versions, champion and history as the registry has them, or None."""
        registry = ModelRegistry(
            self.pipeline.name,
            KafkaSettings(bootstrap_servers=self.kafka),
            SchemaRegistrySettings(url=self.registry),
        )
        try:
            registry.refresh()
            model = registry.model(name)
        except RegistryError:
            return None
        finally:
            registry.close()
        return {"versions": model.versions, "champion": model.champion, "history": model.history}


@contextmanager
def running(
    directory: Path, kafka: str, registry: str, pipeline: Pipeline, services: Iterable[str]
) -> Iterator[Loop]:
    """``services`` started on ``pipeline``'s topics (created first) and kept running (each
    started again if it exits, `Loop.supervise`); stopped and the topics deleted on the way
    out."""
    create_topics(kafka, pipeline)
    loop = Loop(directory, kafka, registry, pipeline, services)
    done = threading.Event()

    def supervisor() -> None:
        while not done.wait(1.0):
            loop.supervise()

    watching = threading.Thread(target=supervisor, daemon=True)
    try:
        loop.start_all()
        watching.start()
        yield loop
    finally:
        done.set()
        if watching.is_alive():
            watching.join()
        loop.stop_all()
        delete_topics(kafka, pipeline.name)


def _event_times(metrics: str) -> str:
    """Monitoring's `streamops_monitoring_event_time_seconds` as readable UTC times: how
    far the owner's clock, its judged windows and labelled intervals, and each partition
    are (a partition far behind the clock holds the verdicts back)."""
    found = re.findall(
        r"^streamops_monitoring_event_time_seconds\{([^}]*)\} (\S+)$", metrics, re.MULTILINE
    )
    shown = []
    for labels, value in found:
        named = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        what = f"{named['what']} {named['partition']}".strip()
        at = datetime.fromtimestamp(float(value), UTC)
        shown.append(f"{what} {at:%m-%d %H:%M:%S}")
    return ", ".join(shown)
