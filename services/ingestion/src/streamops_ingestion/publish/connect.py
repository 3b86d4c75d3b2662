"""Making a pipeline ingestible: its preparer and its registered schema (the topics are the
library's `streamops.service.ensure_pipeline_topics`)."""

from __future__ import annotations

import logging

from confluent_kafka.schema_registry import SchemaRegistryClient

from streamops.events.errors import EventConfigError
from streamops.events.ids import id_format_for
from streamops.events.prepare import RecordPreparer
from streamops.pipeline import Pipeline
from streamops.pipeline.pii import MissingSaltError, PiiTreatment
from streamops.serde import AvroEncoder, value_subject
from streamops.topics import TopicNames
from streamops_ingestion.settings import IngestionSettings
from streamops_ingestion.target import IngestTarget

log = logging.getLogger(__name__)


def preparer_for(pipeline: Pipeline, settings: IngestionSettings) -> RecordPreparer:
    """The preparer of ``pipeline``; EventConfigError if its ids or PII salt cannot work."""
    ids = id_format_for(pipeline.spec, settings.id_prefix, settings.id_hex_digits)
    try:
        pii = PiiTreatment(pipeline.spec.pii)
    except MissingSaltError as exc:
        raise EventConfigError(str(exc)) from exc
    return RecordPreparer(pipeline, ids, pii)


def connect_target(
    pipeline: Pipeline,
    preparer: RecordPreparer,
    registry: SchemaRegistryClient,
    settings: IngestionSettings,
) -> IngestTarget:
    """Register the event schema under ``{p}.events.raw-value`` and return the target.

    Raises `streamops.serde.RegistryUnavailable` when the registry cannot register it.
    """
    topic = TopicNames(pipeline.name).events_raw
    encoder = AvroEncoder(registry, value_subject(topic), pipeline.event_schema)
    log.info("schema of %s registered (id %d)", topic, encoder.schema_id)
    return IngestTarget(
        pipeline.name, preparer, encoder.encode, pipeline.event_schema, settings.max_message_bytes
    )
