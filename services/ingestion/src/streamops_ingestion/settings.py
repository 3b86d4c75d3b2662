"""Settings of the ingestion service and `streamops ingest` (env prefix ``STREAMOPS_INGESTION_``).

Kafka and the schema registry are configured by the library's own settings
(``STREAMOPS_KAFKA_*``, ``STREAMOPS_SCHEMA_REGISTRY_*``), logging by ``STREAMOPS_LOG_*``;
the address is ``STREAMOPS_INGESTION_HEALTH_HOST`` / ``_HEALTH_PORT``, named like every
service's (`streamops.service.ServiceSettings`). A bad value fails at start-up naming the
variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from streamops.service import ServiceSettings
from streamops.topics import DEFAULT_EVENT_PARTITIONS


class IngestionSettings(ServiceSettings):
    """How the ingestion service listens, how much it accepts, and how it produces."""

    model_config = SettingsConfigDict(
        env_prefix="STREAMOPS_INGESTION_", frozen=True, extra="forbid"
    )

    renamed: ClassVar[Mapping[str, str]] = {"HOST": "HEALTH_HOST", "PORT": "HEALTH_PORT"}

    health_port: int = Field(
        8001,
        ge=0,
        le=65535,
        description="Port of the HTTP API, which serves /healthz, /readyz and /metrics too.",
    )
    api_token: SecretStr | None = Field(
        None,
        min_length=16,
        description="When set, POST /v1/... requires 'Authorization: Bearer <token>' (401 "
        "otherwise). /healthz, /readyz and /metrics stay open. At least 16 characters.",
    )
    max_batch_events: int = Field(
        1000, ge=1, le=100_000, description="Most events in one :batch request (413 above)."
    )
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest request body in bytes (413 above)."
    )
    max_message_bytes: int = Field(
        1_000_000,
        ge=1024,
        description="Largest encoded event (librdkafka message.max.bytes); a larger event is "
        "rejected with reason too_large. Keep it at or below the topic's max.message.bytes.",
    )
    producer_linger_ms: int = Field(
        5, ge=0, le=1000, description="librdkafka linger.ms: how long the producer batches."
    )
    delivery_timeout_s: float = Field(
        15.0,
        ge=1,
        le=300,
        description="librdkafka delivery.timeout.ms: the longest wait for Kafka to acknowledge "
        "an event, retries included. An HTTP request not acknowledged by then gets 503.",
    )
    shutdown_timeout_s: float = Field(
        30.0, gt=0, le=600, description="On SIGTERM, the longest wait to flush the producer."
    )
    id_prefix: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_.:/-]*$",
        description="Prefix of the event ids ingestion stamps. Unset: derived from the spec's "
        "regex on the id field (e.g. 'tx-[0-9a-f]{16}' gives 'tx-'), else none.",
    )
    id_hex_digits: int | None = Field(
        None,
        ge=8,
        le=64,
        description="Random hex digits after the prefix of stamped ids. Unset: derived from the "
        "spec's regex like id_prefix, else 32 (the randomness of a uuid4).",
    )
    file_chunk_rows: int = Field(
        10_000, ge=1, le=1_000_000, description="Rows `streamops ingest` reads at a time."
    )
    topic_partitions: int = Field(
        DEFAULT_EVENT_PARTITIONS,
        ge=1,
        description="Partitions of the pipeline's event topics when ingestion creates them.",
    )
    topic_replication_factor: int | None = Field(
        None,
        ge=1,
        description="Replication factor of topics ingestion creates; unset: broker default.",
    )
