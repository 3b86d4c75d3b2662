"""Subjects and encoders of the registry topics.

``{p}.models`` holds two record types: ModelVersion under the topic's own subject
``{p}.models-value`` (where every tool looks for a topic's schema) and ModelChunk under
``{p}.models-streamops.platform.ModelChunk`` (Confluent's TopicRecordNameStrategy, its way
of a second record type on one topic). Readers need neither: the schema id in each
record's header finds the writer's schema. The other topics have one type each, under
``{topic}-value``; ``{p}.lineage`` registers the OpenLineage JSON Schema.
"""

from __future__ import annotations

from pathlib import Path

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from streamops.contracts import SCHEMA_DIR, load_schema, platform_subject
from streamops.registry.errors import ClusterUnavailableError
from streamops.serde import AvroEncoder, RegistryUnavailable, value_subject

try:  # confluent-kafka talks through httpx2 when it is installed, else httpx
    from confluent_kafka.schema_registry.common._httpx_compat import httpx as _http
except ImportError:  # pragma: no cover - older confluent-kafka
    import httpx as _http  # type: ignore[no-redef]

#: What a registry that is down or unreachable raises through confluent-kafka's client.
REGISTRY_ERRORS = (RegistryUnavailable, SchemaRegistryError, _http.HTTPError, OSError)

#: The JSON Schema of ``{p}.lineage`` (OpenLineage RunEvents).
LINEAGE_SCHEMA_PATH = SCHEMA_DIR / "OpenLineageRunEvent.schema.json"


def record_subject(topic: str, record: str) -> str:
    """TopicRecordNameStrategy: ``{topic}-{record's full name}``."""
    return f"{topic}-{platform_subject(load_schema(record))}"


def avro_encoder(client: SchemaRegistryClient, subject: str, record: str) -> AvroEncoder:
    """An encoder of platform record ``record`` registered under ``subject``."""
    schema = load_schema(record)
    try:
        return AvroEncoder(client, subject, schema)
    except REGISTRY_ERRORS as exc:
        raise ClusterUnavailableError(str(exc)) from exc


def register_lineage_schema(
    client: SchemaRegistryClient, topic: str, path: Path = LINEAGE_SCHEMA_PATH
) -> int:
    """Register the RunEvent JSON Schema under ``{topic}-value``; its schema id."""
    schema = Schema(path.read_text(encoding="utf-8"), "JSON")
    try:
        return int(client.register_schema(value_subject(topic), schema))
    except REGISTRY_ERRORS as exc:
        raise ClusterUnavailableError(
            f"cannot register the lineage JSON Schema for {topic}: {exc}"
        ) from exc
