"""`StatusReader`: looks at a running pipeline, again and again, without disturbing it.

Offsets and groups come from admin requests; the registry (`ModelRegistry`) and the alerts
topic are read from their beginning once and then only what was added since; the rolling
metrics are scraped from the monitoring service's /metrics, a retrain held for labelled rows
from the training service's.
"""

from __future__ import annotations

import datetime
import logging
import urllib.error
import urllib.request
from types import TracebackType
from typing import cast

from confluent_kafka import Message
from confluent_kafka.schema_registry import SchemaRegistryClient

from streamops.contracts import load_schema
from streamops.contracts.types import Alert
from streamops.pipeline import Pipeline
from streamops.registry import ModelRegistry, ModelState, RegistryError
from streamops.registry.follow import LogFollower
from streamops.serde import AvroDecoder, DecodeError, RegistryUnavailable
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.status.errors import StatusError
from streamops.status.offsets import ClusterOffsets
from streamops.status.snapshot import (
    Observation,
    TopicOffsets,
    consumer_groups,
    model_name,
    status_topics,
)
from streamops.topics import TopicNames
from streamops.topics._admin import AdminClient

#: The monitoring service's /metrics as `make up` runs it (its settings' default
#: health_port, 8006; a unit test keeps the two equal).
MONITORING_METRICS_URL = "http://localhost:8006/metrics"
#: The training service's /metrics as `make up` runs it (its health_port, 8004; likewise).
TRAINING_METRICS_URL = "http://localhost:8004/metrics"
log = logging.getLogger(__name__)


class StatusReader:
    """Takes `Observation`s of one pipeline."""

    def __init__(
        self,
        pipeline: Pipeline,
        kafka: KafkaSettings,
        registry: SchemaRegistrySettings,
        *,
        monitoring_url: str = MONITORING_METRICS_URL,
        training_url: str = TRAINING_METRICS_URL,
        timeout_s: float = 10.0,
    ) -> None:
        self.pipeline = pipeline
        self.names = TopicNames(pipeline.name)
        self.monitoring_url = monitoring_url
        self.training_url = training_url
        self._where = f"bootstrap servers {kafka.bootstrap_servers}, registry {registry.url}"
        self._timeout_s = timeout_s
        self._topics = status_topics(pipeline)
        self._groups = list(consumer_groups(pipeline.name).values())
        # librdkafka's own logs through logging, not to stderr (the stubs omit "logger")
        admin = AdminClient({**kafka.client_config(), "logger": log})  # type: ignore[dict-item]
        self._offsets = ClusterOffsets(admin, timeout_s=timeout_s)
        self._registry = ModelRegistry(pipeline.name, kafka, registry, timeout_s=timeout_s)
        self._alert_log = LogFollower(kafka, [self.names.alerts], timeout_s=timeout_s)
        client = SchemaRegistryClient(registry.client_config())
        self._alert_decoder = AvroDecoder(client, load_schema("Alert"))
        self._alerts: dict[str, Alert] = {}

    def observe(self) -> Observation:
        """One look; StatusError when the cluster or the registry cannot be read, or the
        pipeline has no topic at all."""
        taken_at = datetime.datetime.now(datetime.UTC)
        topics = self._offsets.topics(self._topics)
        if all(found is None for found in topics.values()):
            raise StatusError(
                f"pipeline {self.pipeline.name} has no topics on the cluster ({self._where}): "
                "check the name, or create them (streamops topics ensure)"
            )
        groups = self._offsets.groups(self._groups)
        try:
            model = self._model(topics)
            if topics.get(self.names.alerts) is not None:
                self._alert_log.catch_up(self._apply_alert)
        except (RegistryError, RegistryUnavailable) as exc:
            raise StatusError(f"{exc} ({self._where})") from exc
        wait_s = min(self._timeout_s, 2.0)
        metrics = scrape(self.monitoring_url, timeout_s=wait_s)
        training = scrape(self.training_url, timeout_s=wait_s)
        alerts = list(self._alerts.values())
        return Observation(taken_at, topics, groups, model, alerts, metrics, training)

    def close(self) -> None:
        """Leave the cluster."""
        self._registry.close()
        self._alert_log.close()

    def __enter__(self) -> StatusReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _model(self, topics: dict[str, TopicOffsets | None]) -> ModelState | None:
        name = model_name(self.pipeline)
        registry_topics = (self.names.models, self.names.deployments)
        if name is None or any(topics.get(t) is None for t in registry_topics):
            return None
        self._registry.refresh()
        return self._registry.state.models.get(name)

    def _apply_alert(self, message: Message) -> None:
        key, value = message.key(), message.value()
        if value is None:  # a tombstone: the alert is gone
            self._alerts.pop(key.decode() if isinstance(key, bytes) else str(key), None)
            return
        try:
            alert = cast(Alert, self._alert_decoder.decode(value))
        except DecodeError:
            return  # not an alert this reader can read: it cannot be shown either
        self._alerts.pop(alert["alert_id"], None)  # re-inserted last: log order
        self._alerts[alert["alert_id"]] = alert


def scrape(url: str, *, timeout_s: float) -> str | None:
    """The text at ``url``; None when nothing answers there (the service is not up)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return cast(bytes, response.read()).decode("utf-8", errors="replace")
    except (urllib.error.URLError, OSError, ValueError):
        return None
