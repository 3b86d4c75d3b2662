"""Settings of the features service (env prefix ``STREAMOPS_FEATURES_``).

Batching, guarantees and timeouts are the stream runtime's (``STREAMOPS_STREAM_*``; the
service runs exactly-once unless ``STREAMOPS_STREAM_PROCESSING_GUARANTEE`` says
otherwise), the state
store's are ``STREAMOPS_STATE_*``, Kafka and the registry ``STREAMOPS_KAFKA_*`` and
``STREAMOPS_SCHEMA_REGISTRY_*``, logging ``STREAMOPS_LOG_*``.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from streamops.service import ServiceSettings


class FeaturesSettings(ServiceSettings):
    """What is particular to the features service."""

    model_config = SettingsConfigDict(env_prefix="STREAMOPS_FEATURES_", frozen=True, extra="forbid")

    health_port: int = Field(
        8003, ge=0, le=65535, description="Port of /healthz, /readyz and /metrics; 0 picks one."
    )
    group_id: str | None = Field(
        None,
        min_length=1,
        description="Consumer group and stage name (it names the changelog the online view "
        "reads); default '{pipeline}.features'.",
    )
    ensure_topics: bool = Field(
        True, description="Create the pipeline's missing topics at start-up."
    )
