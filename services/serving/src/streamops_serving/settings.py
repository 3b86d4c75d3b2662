"""Settings of the serving service (env prefix ``STREAMOPS_SERVING_``).

Stream scoring's batching and guarantee are the stream runtime's (``STREAMOPS_STREAM_*``;
at-least-once by default, whose replays the deterministic prediction ids dedupe), Kafka and
the registry ``STREAMOPS_KAFKA_*`` and ``STREAMOPS_SCHEMA_REGISTRY_*``, logging
``STREAMOPS_LOG_*``; the PII salt is read from the variable the spec names, as ingestion.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from streamops.service import ServiceSettings


class ServingSettings(ServiceSettings):
    """What is particular to the serving service."""

    model_config = SettingsConfigDict(env_prefix="STREAMOPS_SERVING_", frozen=True, extra="forbid")

    health_port: int = Field(
        8005,
        ge=0,
        le=65535,
        description="Port of the HTTP API (REST, V2), /healthz, /readyz and /metrics.",
    )
    mode: Literal["all", "http", "stream"] = Field(
        "all",
        description="all: HTTP predictions and stream scoring; http: no stream scoring; "
        "stream: stream scoring only (no online view; the predict routes answer 503).",
    )
    model_name: str | None = Field(
        None, min_length=1, description="The model served; default the spec's model.name."
    )
    predict_token: SecretStr | None = Field(
        None, description="Bearer token the predict routes require; unset: they are open."
    )
    admin_token: SecretStr | None = Field(
        None, description="Bearer token the admin routes require (it also opens predict)."
    )
    max_body_bytes: int = Field(
        4 * 1024 * 1024, ge=1024, description="Largest request body; larger ones get 413."
    )
    max_batch: int = Field(1000, ge=1, description="Most events in one REST predict request.")
    prediction_buffer: int = Field(
        100_000,
        ge=0,
        description="HTTP predictions waiting for the predictions topic at most; beyond, "
        "they are dropped and counted (answers never wait for the broker). 0: not logged.",
    )
    shadow_queue: int = Field(
        10_000, ge=1, description="Requests waiting for the shadow at most; beyond, dropped."
    )
    group_id: str | None = Field(
        None, min_length=1, description="Stream scoring's group; default '{pipeline}.serving'."
    )
    features_stage: str | None = Field(
        None,
        min_length=1,
        description="The features service's stage, whose changelog the online view reads; "
        "default '{pipeline}.features'.",
    )
    timeout_seconds: float = Field(
        30.0, gt=0, description="Registry reads and loads give up after this long."
    )
    ensure_topics: bool = Field(
        True, description="Create the pipeline's missing topics at start-up."
    )
