"""Settings of the validation service (env prefix ``STREAMOPS_VALIDATION_``).

Batching, guarantees and timeouts are the stream runtime's (``STREAMOPS_STREAM_*``);
Kafka and the registry are ``STREAMOPS_KAFKA_*`` and ``STREAMOPS_SCHEMA_REGISTRY_*``.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ValidationSettings(BaseSettings):
    """What is particular to the validation service."""

    model_config = SettingsConfigDict(
        env_prefix="STREAMOPS_VALIDATION_", frozen=True, extra="forbid"
    )

    health_port: int = Field(
        8002, ge=0, le=65535, description="Port of /healthz, /readyz and /metrics."
    )
    group_id: str | None = Field(
        None, min_length=1, description="Consumer group; default '{pipeline}.validation'."
    )
    ensure_topics: bool = Field(
        True, description="Create the pipeline's missing topics at start-up."
    )
