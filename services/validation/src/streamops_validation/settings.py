"""Settings of the validation service (env prefix ``STREAMOPS_VALIDATION_``).

The health port is ``STREAMOPS_VALIDATION_HEALTH_PORT`` (`streamops.service.ServiceSettings`:
every service names it the same way). Batching, guarantees and timeouts are the stream
runtime's (``STREAMOPS_STREAM_*``); Kafka and the registry are ``STREAMOPS_KAFKA_*`` and
``STREAMOPS_SCHEMA_REGISTRY_*``; logging is ``STREAMOPS_LOG_*``.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from streamops.service import ServiceSettings


class ValidationSettings(ServiceSettings):
    """What is particular to the validation service."""

    model_config = SettingsConfigDict(
        env_prefix="STREAMOPS_VALIDATION_", frozen=True, extra="forbid"
    )

    health_port: int = Field(
        8002, ge=0, le=65535, description="Port of /healthz, /readyz and /metrics; 0 picks one."
    )
    group_id: str | None = Field(
        None, min_length=1, description="Consumer group; default '{pipeline}.validation'."
    )
    ensure_topics: bool = Field(
        True, description="Create the pipeline's missing topics at start-up."
    )
    partial_grace_s: float = Field(
        10.0,
        gt=0,
        le=3600,
        description="How long after a window ends the owner waits for the partial reports of "
        "partitions whose replica is late or down before judging the window without them.",
    )
