"""`streamops run validation --pipeline FILE`: the validation stage of one pipeline."""

from __future__ import annotations

import logging
from pathlib import Path

from confluent_kafka.admin import AdminClient
from prometheus_client import CollectorRegistry

from streamops.contracts import load_schema
from streamops.pipeline import Pipeline
from streamops.runtime import Stage, StreamSettings
from streamops.service import retry_while_unavailable, start_service
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.state import StageState, StateSettings
from streamops.topics import (
    TopicError,
    TopicNames,
    ensure_topics,
    partials_topic,
    partition_count,
)
from streamops_validation.metrics import ValidationMetrics
from streamops_validation.settings import ValidationSettings
from streamops_validation.validator import (
    LabelTopics,
    ValidationTopics,
    Validator,
    validation_stores,
)

log = logging.getLogger(__name__)


def build_stage(
    pipeline: Pipeline,
    settings: ValidationSettings,
    stream: StreamSettings,
    kafka: KafkaSettings,
    registry: SchemaRegistrySettings,
    state_settings: StateSettings | None = None,
) -> Stage:
    """The validation Stage of ``pipeline``: raw events, labels (if the spec has a ``labels``
    section) and partial reports in; valid events, valid labels, DLQ, partial reports and
    alerts out."""
    names = TopicNames(pipeline.name)
    group = settings.group_id or names.stage("validation")
    partials = partials_topic(group)
    admin = AdminClient(kafka.client_config())
    report = ensure_topics(admin, [partials])
    if not report.ok:
        log.warning("the partials topic differs from the catalog:\n%s", report.render())
    partitions = partition_count(admin, names.events_raw)
    labels = None
    if pipeline.spec.labels is not None:
        labels = LabelTopics(pipeline.spec.label_topic, names.labels_valid)
        _check_label_partitions(admin, labels.source, names.events_raw, partitions)
    topics = ValidationTopics(
        names.events_raw, names.events_valid, names.alerts, partials.name, labels
    )
    metrics_registry = CollectorRegistry()
    state = StageState(validation_stores(pipeline), state_settings)
    validator = Validator(
        pipeline,
        state,
        topics,
        partitions,
        group,
        ValidationMetrics(metrics_registry, pipeline.name),
        grace_ms=int(settings.partial_grace_s * 1000),
    )
    outputs = {
        names.events_valid: pipeline.event_schema,
        names.alerts: load_schema("Alert"),
        partials.name: load_schema("DataQualityReport"),
    }
    inputs = [names.events_raw, partials.name]
    if labels is not None:
        inputs.append(labels.source)
        outputs[labels.valid] = load_schema("Label")
    return Stage(
        group,
        inputs=inputs,
        outputs=outputs,
        transform=validator.validate_batch,
        on_tick=validator.tick,
        dlq_topic=names.events_dlq,
        kafka=kafka,
        registry=registry,
        settings=stream.model_copy(update={"health_port": settings.health_port}),
        metrics_registry=metrics_registry,
        state=state,
    )


def _check_label_partitions(admin: AdminClient, labels: str, raw: str, partitions: int) -> None:
    """Refuse a label topic that is not co-partitioned with the events, saying which to fix.

    The stage's state is per partition of all its inputs together, and labels join their
    entity's events by partition number; the runtime's own check would also pass a
    one-partition topic, and would ask to repartition the events when labels have more.
    """
    try:
        found = partition_count(admin, labels)
    except TopicError as exc:
        raise TopicError(
            f"the label topic {labels} (the spec's labels.topic, default {{pipeline}}.labels) "
            f"does not exist; create it with {partitions} partitions, as {raw} has"
        ) from exc
    if found != partitions:
        raise TopicError(
            f"the label topic {labels} has {found} partitions but {raw} has {partitions}: "
            "labels must share partition numbers with their entity's events (same count, "
            f"keyed by entity key); recreate {labels} with {partitions} partitions or point "
            "the spec's labels.topic at a topic that has them"
        )


def run(pipeline_file: Path) -> None:
    """Validate the pipeline's raw events until SIGTERM; bad config exits 2, naming it."""
    entry = start_service("validation")
    settings = entry.settings(ValidationSettings)
    stream = entry.stream_settings(settings)
    kafka, registry = entry.settings(KafkaSettings), entry.settings(SchemaRegistrySettings)
    pipeline = entry.pipeline(pipeline_file)
    state = entry.settings(StateSettings)
    entry.handle_stop_signals()
    if settings.ensure_topics and entry.ensure_topics(kafka, pipeline.name) is None:
        return  # stopped while waiting for the cluster
    try:
        stage = retry_while_unavailable(
            lambda: build_stage(pipeline, settings, stream, kafka, registry, state),
            what="validation: the partials topic",
            stop=entry.stopping,
        )
    except TopicError as exc:
        entry.cannot_start(str(exc))
    if stage is not None and not entry.stopping.is_set():
        stage.run()
