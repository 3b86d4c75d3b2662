"""Settings of the training service (env prefix ``STREAMOPS_TRAINING_``).

Kafka and the registry are ``STREAMOPS_KAFKA_*`` and ``STREAMOPS_SCHEMA_REGISTRY_*``,
logging ``STREAMOPS_LOG_*``. What to train and when is the pipeline spec's (``model:``,
``retraining:``), not the environment's.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from streamops.service import ServiceSettings


class TrainingSettings(ServiceSettings):
    """What is particular to the training service."""

    model_config = SettingsConfigDict(env_prefix="STREAMOPS_TRAINING_", frozen=True, extra="forbid")

    health_port: int = Field(
        8004, ge=0, le=65535, description="Port of /healthz, /readyz and /metrics; 0 picks one."
    )
    ensure_topics: bool = Field(
        True, description="Create the pipeline's missing topics at start-up."
    )
    poll_seconds: float = Field(
        0.5, gt=0, le=60, description="How long one look at the topics waits for news."
    )
    cards_dir: Path = Field(
        Path("var/cards"),
        description="Where the model card of each published version is written (Markdown "
        "and HTML, {model}-v{version}.md/.html).",
    )
    timeout_seconds: float = Field(
        30.0, gt=0, description="How long a read of the log may wait for the cluster."
    )
