"""streamops ingestion service.

HTTP and file ingestion into ``{p}.events.raw``: schema checks with field-level errors,
event id / ingest time / source stamps, the spec's PII treatment, Avro to Kafka.
``streamops run ingestion`` runs `service.run`; ``streamops ingest`` is `cli.ingest`.
"""

from streamops_ingestion.api.app import create_app
from streamops_ingestion.api.state import Ingestion
from streamops_ingestion.metrics import IngestionMetrics
from streamops_ingestion.publish.producer import (
    EventProducer,
    KafkaEventProducer,
    OnDelivery,
    QueueFull,
)
from streamops_ingestion.records.errors import REASONS, FieldError, IngestionConfigError
from streamops_ingestion.records.ids import IdFormat, id_format_for
from streamops_ingestion.records.prepare import Prepared, RecordPreparer, Rejected
from streamops_ingestion.settings import IngestionSettings
from streamops_ingestion.target import IngestTarget, Ready

__all__ = [
    "REASONS",
    "EventProducer",
    "FieldError",
    "IdFormat",
    "IngestTarget",
    "Ingestion",
    "IngestionConfigError",
    "IngestionMetrics",
    "IngestionSettings",
    "KafkaEventProducer",
    "OnDelivery",
    "Prepared",
    "QueueFull",
    "Ready",
    "RecordPreparer",
    "Rejected",
    "create_app",
    "id_format_for",
]
