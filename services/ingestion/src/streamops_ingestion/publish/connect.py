"""Making a pipeline ingestible: its preparer, its topics on the cluster, its registered schema."""

from __future__ import annotations

import logging

from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient

from streamops.pipeline import Pipeline
from streamops.pipeline.pii import MissingSaltError, PiiTreatment
from streamops.serde import AvroEncoder, value_subject
from streamops.settings import KafkaSettings
from streamops.topics import EnsureReport, ensure_topics, pipeline_topics
from streamops_ingestion.records.errors import IngestionConfigError
from streamops_ingestion.records.ids import id_format_for
from streamops_ingestion.records.prepare import RecordPreparer
from streamops_ingestion.settings import IngestionSettings
from streamops_ingestion.target import IngestTarget

log = logging.getLogger(__name__)


def preparer_for(pipeline: Pipeline, settings: IngestionSettings) -> RecordPreparer:
    """The preparer of ``pipeline``; IngestionConfigError if its ids or PII salt cannot work."""
    ids = id_format_for(pipeline.spec, settings.id_prefix, settings.id_hex_digits)
    try:
        pii = PiiTreatment(pipeline.spec.pii)
    except MissingSaltError as exc:
        raise IngestionConfigError(str(exc)) from exc
    return RecordPreparer(pipeline, ids, pii)


def ensure_pipeline_topics(
    kafka: KafkaSettings, settings: IngestionSettings, name: str, timeout_s: float = 30.0
) -> EnsureReport:
    """Create the pipeline's missing topics (existing ones are left as they are, drift logged).

    Raises `streamops.topics.TopicError` when the cluster is unreachable or refuses.
    """
    # log_level 4: librdkafka's info notices (queue purged on close) are noise on a CLI
    config: dict[str, str | int | float | bool] = {**kafka.client_config(), "log_level": 4}
    specs = pipeline_topics(
        name,
        partitions=settings.topic_partitions,
        replication_factor=settings.topic_replication_factor,
    )
    report = ensure_topics(AdminClient(config), specs, timeout_s=timeout_s)
    if report.created:
        log.info("created topics %s", ", ".join(report.created))
    for drift in report.drifted:
        log.warning(
            "topic %s: %s is %s, declared %s (left as is)",
            drift.topic,
            drift.key,
            drift.actual,
            drift.expected,
        )
    return report


def connect_target(
    pipeline: Pipeline,
    preparer: RecordPreparer,
    registry: SchemaRegistryClient,
    settings: IngestionSettings,
) -> IngestTarget:
    """Register the event schema under ``{p}.events.raw-value`` and return the target.

    Raises `streamops.serde.RegistryUnavailable` when the registry cannot register it.
    """
    topic = f"{pipeline.name}.events.raw"
    encoder = AvroEncoder(registry, value_subject(topic), pipeline.event_schema)
    log.info("schema of %s registered (id %d)", topic, encoder.schema_id)
    return IngestTarget(
        pipeline.name, preparer, encoder.encode, pipeline.event_schema, settings.max_message_bytes
    )
