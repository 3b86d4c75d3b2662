"""Settings of the monitoring service (env prefix ``STREAMOPS_MONITORING_``).

Batching, guarantees and timeouts are the stream runtime's (``STREAMOPS_STREAM_*``); state
is ``STREAMOPS_STATE_*`` (the disk backend holds days of predictions waiting for labels);
Kafka and the registry are ``STREAMOPS_KAFKA_*`` and ``STREAMOPS_SCHEMA_REGISTRY_*``.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from streamops.service import ServiceSettings


class MonitoringSettings(ServiceSettings):
    """What is particular to the monitoring service."""

    model_config = SettingsConfigDict(
        env_prefix="STREAMOPS_MONITORING_", frozen=True, extra="forbid"
    )

    health_port: int = Field(
        8006, ge=0, le=65535, description="Port of /healthz, /readyz and /metrics; 0 picks one."
    )
    group_id: str | None = Field(
        None, min_length=1, description="Consumer group; default '{pipeline}.monitoring'."
    )
    model_name: str | None = Field(
        None, min_length=1, description="The model monitored; default the spec's model.name."
    )
    ensure_topics: bool = Field(
        True, description="Create the pipeline's missing topics at start-up."
    )
    registry_timeout_s: float = Field(
        30.0, gt=0, description="How long reading the model registry may wait for the cluster."
    )
    partition_idle_s: float = Field(
        30.0,
        gt=0,
        description="How long (wall clock) the owner waits for a partition that sent nothing "
        "before judging windows without it.",
    )
