"""Settings of a stage's state (env prefix ``STREAMOPS_STATE_``) and the stores it declares."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Backend = Literal["memory", "disk"]


@dataclass(frozen=True)
class StoreSpec:
    """One keyed store of a stage, declared by the stage's code.

    ``ttl_ms``: a key not written for this long in event time (the times given to
    ``PartitionState.set``) is deleted, in the changelog too. None keeps keys until the
    stage deletes them.
    """

    name: str
    ttl_ms: int | None = None

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"store name {self.name!r}: use letters, digits, '-' and '_'")
        if self.ttl_ms is not None and self.ttl_ms <= 0:
            raise ValueError(f"store {self.name}: ttl_ms must be positive, got {self.ttl_ms}")


class StateSettings(BaseSettings):
    """Where a stage keeps its state between batches (the changelog topics are the truth)."""

    model_config = SettingsConfigDict(env_prefix="STREAMOPS_STATE_", frozen=True, extra="forbid")

    backend: Backend = Field(
        "memory",
        description="memory: a dict per partition, fastest, bounded by memory_max_keys; disk: "
        "RocksDB (rocksdict) per partition under `dir`, for state larger than memory.",
    )
    dir: Path = Field(
        Path("var/state"),
        description="Root of the disk stores (one RocksDB per stage, store and partition). "
        "Wiped and rebuilt from the changelog when a partition is assigned.",
    )
    memory_max_keys: int = Field(
        10_000_000,
        ge=1,
        description="Most keys one memory store may hold across its partitions; past it the "
        "stage stops with an error that says to use the disk backend, rather than growing "
        "until the kernel kills it.",
    )
    disk_cache_bytes: int = Field(
        64 * 1024 * 1024,
        ge=1024 * 1024,
        description="RocksDB block cache per disk store partition (bounds its read memory).",
    )
    disk_write_buffer_bytes: int = Field(
        32 * 1024 * 1024,
        ge=1024 * 1024,
        description="RocksDB memtable size per disk store partition (bounds its write memory).",
    )
    restore_batch_records: int = Field(
        20_000, ge=1, description="Changelog records applied to a store per write on restore."
    )
    expire_per_batch: int = Field(
        20_000,
        ge=1,
        description="Most keys expired per partition and batch; the rest expire in the next ones.",
    )
