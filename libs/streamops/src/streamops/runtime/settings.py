"""Settings of a stream stage (env prefix ``STREAMOPS_STREAM_``)."""

from __future__ import annotations

import socket
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ProcessingGuarantee = Literal["at_least_once", "exactly_once"]


class StreamSettings(BaseSettings):
    """How a consume-transform-produce stage batches, commits and reports."""

    model_config = SettingsConfigDict(env_prefix="STREAMOPS_STREAM_", frozen=True, extra="forbid")

    processing_guarantee: ProcessingGuarantee = Field(
        "at_least_once",
        description="at_least_once: commit offsets after outputs are acknowledged (a crash may "
        "repeat a batch); exactly_once: outputs and offsets in one Kafka transaction.",
    )
    batch_max_records: int = Field(5000, ge=1, le=100_000, description="Records per micro-batch.")
    batch_max_wait_s: float = Field(
        0.2, gt=0, le=60, description="Longest wait for a micro-batch to fill up."
    )
    instance_id: str = Field(
        default_factory=socket.gethostname,
        min_length=1,
        description="Stable, unique id of this replica (e.g. the pod name). It names the static "
        "group membership and the transactional id, so a restarted replica takes over at once "
        "and fences its previous incarnation. Two live replicas must never share it.",
    )
    auto_offset_reset: Literal["earliest", "latest"] = Field(
        "earliest", description="Where a new consumer group starts reading."
    )
    session_timeout_s: float = Field(
        30.0, ge=6, le=300, description="How long a silent replica keeps its partitions."
    )
    transaction_timeout_s: float = Field(
        60.0, ge=1, le=900, description="Broker-side limit on one transaction (exactly_once)."
    )
    producer_linger_ms: int = Field(5, ge=0, le=1000, description="librdkafka linger.ms.")
    operation_timeout_s: float = Field(
        30.0, gt=0, description="Limit on one flush, commit or transaction call before retrying."
    )
    registry_retry_max_s: float = Field(
        30.0, gt=0, description="Longest back-off between retries while the registry is down."
    )
    health_host: str = Field("0.0.0.0", description="Address of /healthz, /readyz and /metrics.")
    health_port: int = Field(
        0, ge=0, le=65535, description="Port of /healthz, /readyz, /metrics; 0 picks a free one."
    )
