"""`streamops run validation --pipeline FILE`: the validation stage of one pipeline."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from confluent_kafka.admin import AdminClient
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from streamops.contracts import load_schema
from streamops.pipeline import Pipeline, SpecError, load_pipeline
from streamops.runtime import Stage, StreamSettings
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.topics import ensure_topics, pipeline_topics
from streamops_validation.metrics import ValidationMetrics
from streamops_validation.settings import ValidationSettings
from streamops_validation.validator import Validator

log = logging.getLogger(__name__)


def build_stage(
    pipeline: Pipeline,
    settings: ValidationSettings,
    stream: StreamSettings,
    kafka: KafkaSettings,
    registry: SchemaRegistrySettings,
) -> Stage:
    """The validation Stage of ``pipeline``: raw events in; valid events, DLQ, alerts out."""
    name = pipeline.name
    metrics_registry = CollectorRegistry()
    validator = Validator(pipeline, ValidationMetrics(metrics_registry, name))
    return Stage(
        settings.group_id or f"{name}.validation",
        inputs=[f"{name}.events.raw"],
        outputs={
            f"{name}.events.valid": pipeline.event_schema,
            f"{name}.alerts": load_schema("Alert"),
        },
        transform=validator.validate_batch,
        on_tick=validator.tick,
        dlq_topic=f"{name}.events.dlq",
        kafka=kafka,
        registry=registry,
        settings=stream.model_copy(update={"health_port": settings.health_port}),
        metrics_registry=metrics_registry,
    )


def run(pipeline_file: Path) -> None:
    """Validate the pipeline's raw events until SIGTERM; bad config exits 2, naming it."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        pipeline = load_pipeline(pipeline_file)
        settings, stream = ValidationSettings(), StreamSettings()
        kafka, registry = KafkaSettings(), SchemaRegistrySettings()
    except (SpecError, ValidationError) as exc:
        print(f"validation: cannot start: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    if settings.ensure_topics:
        report = ensure_topics(AdminClient(kafka.client_config()), pipeline_topics(pipeline.name))
        if not report.ok:
            log.warning("topics differ from the catalog:\n%s", report.render())
    build_stage(pipeline, settings, stream, kafka, registry).run()
