"""`streamops run monitoring --pipeline FILE`: drift, performance and alerts of one pipeline."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from confluent_kafka.admin import AdminClient
from prometheus_client import CollectorRegistry

from streamops.contracts import load_schema
from streamops.features.definition import feature_set
from streamops.pipeline import Pipeline
from streamops.pipeline.drift_spec import DriftSpec
from streamops.registry import ClusterUnavailableError
from streamops.runtime import Stage, StreamSettings
from streamops.service import retry_while_unavailable, start_service
from streamops.service.retry import UNAVAILABLE
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.state import StageState, StateSettings
from streamops.topics import (
    TopicError,
    TopicNames,
    ensure_topics,
    partials_topic,
    partition_count,
)
from streamops_monitoring.metrics import MonitoringMetrics
from streamops_monitoring.monitor import Monitor, MonitoringTopics, monitoring_stores
from streamops_monitoring.owner import Owner
from streamops_monitoring.partition import PartitionMonitor, Timing
from streamops_monitoring.reference import ChampionFollower
from streamops_monitoring.settings import MonitoringSettings

log = logging.getLogger(__name__)


class MonitoringConfigError(ValueError):
    """The spec cannot be monitored (no features or no model section); says what to add."""


#: The least time a prediction and its label wait for each other in the pending store.
_LEAST_WAIT = timedelta(days=1)


def timing(pipeline: Pipeline) -> Timing:
    """Intervals, grace and label delays of the pipeline's ``drift:`` and ``labels:``."""
    spec = pipeline.spec
    drift = spec.drift or DriftSpec()
    step = drift.window.step
    grace = drift.grace_for(spec)
    labels = spec.labels
    delay = labels.expected_delay if labels is not None else None
    negative = delay if labels is not None and labels.negative_after_delay else None
    # a label read before its prediction (serving behind) waits too: the labels' times drive
    # the pending store's clock, so a short label delay must not make that wait short
    wait = max((delay or timedelta(0)) * 2, _LEAST_WAIT) + step + grace
    return Timing(
        step_ms=_ms(step),
        grace_ms=_ms(grace),
        negative_after_ms=_ms(negative) if negative is not None else None,
        wait_ms=_ms(wait),
        lead_ms=2 * _ms(drift.window.size),
    )


def build_stage(
    pipeline: Pipeline,
    settings: MonitoringSettings,
    stream: StreamSettings,
    kafka: KafkaSettings,
    registry: SchemaRegistrySettings,
    champion: ChampionFollower,
    state_settings: StateSettings | None = None,
) -> Stage:
    """The monitoring Stage of ``pipeline``: features, predictions, valid labels and partials
    in; partials and alerts out."""
    spec = pipeline.spec
    if spec.features is None or spec.model is None:
        raise MonitoringConfigError(
            f"{spec.name}: monitoring needs a features and a model section in the spec"
        )
    names = TopicNames(spec.name)
    group = settings.group_id or names.stage("monitoring")
    partials = partials_topic(group)
    admin = AdminClient(kafka.client_config())
    report = ensure_topics(admin, [partials])
    if not report.ok:
        log.warning("the partials topic differs from the catalog:\n%s", report.render())
    partitions = partition_count(admin, names.features)
    task = spec.model.task_for(spec.labels.kind) if spec.labels else spec.model.task or "binary"
    times = timing(pipeline)
    windows = feature_set(pipeline).filling_ms()
    topics = MonitoringTopics(
        names.features,
        names.predictions,
        names.labels_valid if spec.labels is not None else None,
        partials.name,
        names.alerts,
    )
    metrics_registry = CollectorRegistry()
    state = StageState(monitoring_stores(times), state_settings)
    monitor = Monitor(
        state,
        topics,
        PartitionMonitor(spec.name, times, partitions, task),
        Owner(pipeline, windows, task, idle_ms=int(settings.partition_idle_s * 1000)),
        lambda: champion.current,
        MonitoringMetrics(metrics_registry, spec.name),
    )
    inputs = [names.features, names.predictions, partials.name]
    if topics.labels is not None:
        inputs.append(topics.labels)
    return Stage(
        group,
        inputs=inputs,
        outputs={
            names.alerts: load_schema("Alert"),
            partials.name: load_schema("MonitoringPartial"),
        },
        transform=monitor.monitor_batch,
        on_tick=monitor.tick,
        dlq_topic=names.events_dlq,
        kafka=kafka,
        registry=registry,
        settings=stream.model_copy(update={"health_port": settings.health_port}),
        metrics_registry=metrics_registry,
        state=state,
    )


def _ms(value: timedelta) -> int:
    return int(value.total_seconds() * 1000)


def run(pipeline_file: Path) -> None:
    """Monitor the pipeline until SIGTERM; bad config exits 2, naming it."""
    entry = start_service("monitoring")
    settings = entry.settings(MonitoringSettings)
    stream = entry.stream_settings(settings)
    kafka, registry = entry.settings(KafkaSettings), entry.settings(SchemaRegistrySettings)
    pipeline = entry.pipeline(pipeline_file)
    state = entry.settings(StateSettings)
    entry.handle_stop_signals()
    spec = pipeline.spec
    if spec.model is None or spec.features is None:
        entry.cannot_start(f"{spec.name}: monitoring needs a features and a model section")
    model_name = settings.model_name or spec.model.name or spec.name
    if settings.ensure_topics and entry.ensure_topics(kafka, spec.name) is None:
        return  # stopped while waiting for the cluster
    champion = ChampionFollower(
        spec.name, model_name, kafka, registry, timeout_s=settings.registry_timeout_s
    )
    try:
        retry_while_unavailable(
            champion.start,
            what="monitoring: the model registry",
            stop=entry.stopping,
            retry_on=(*UNAVAILABLE, ClusterUnavailableError),
        )
        stage = retry_while_unavailable(
            lambda: build_stage(pipeline, settings, stream, kafka, registry, champion, state),
            what="monitoring: the partials topic",
            stop=entry.stopping,
        )
    except TopicError as exc:
        entry.cannot_start(str(exc))
    try:
        if stage is not None and not entry.stopping.is_set():
            stage.run()
    finally:
        champion.close()
