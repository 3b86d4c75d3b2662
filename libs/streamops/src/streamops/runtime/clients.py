"""librdkafka configuration of a stage's consumer and producer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError

from streamops.runtime.settings import StreamSettings
from streamops.settings import KafkaSettings


def consumer_config(
    stage: str,
    kafka: KafkaSettings,
    s: StreamSettings,
    on_stats: Callable[[str], None],
    stateful: bool = False,
    on_error: Callable[[KafkaError], None] | None = None,
) -> dict[str, Any]:
    """The consumer of stage ``stage``: its group, manual commits, read_committed;
    ``on_error`` gets librdkafka's client-level errors (a fatal one among them)."""
    config: dict[str, Any] = {
        **kafka.client_config(),
        "group.id": stage,
        # Static membership: a restarted replica gets its partitions back at once.
        "group.instance.id": f"{stage}-{s.instance_id}",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": s.auto_offset_reset,
        # Upstream stages may write in transactions: never read aborted records.
        "isolation.level": "read_committed",
        "session.timeout.ms": int(s.session_timeout_s * 1000),
        "statistics.interval.ms": 5000,
        "stats_cb": on_stats,
    }
    if on_error is not None:
        config["error_cb"] = on_error
    if stateful:
        # State partition n goes with partition n of every input topic: only the range
        # assignor gives one member the same partition numbers of co-partitioned topics.
        config["partition.assignment.strategy"] = "range"
    return config


def restore_consumer_config(stage: str, kafka: KafkaSettings) -> dict[str, Any]:
    """The consumer that reads changelogs back (assigned partitions only, never commits)."""
    return {
        **kafka.client_config(),
        "group.id": f"{stage}.restore",
        "fetch.max.bytes": 64 * 1024 * 1024,
        "max.partition.fetch.bytes": 16 * 1024 * 1024,
    }


def state_producer_config(stage: str, kafka: KafkaSettings, s: StreamSettings) -> dict[str, Any]:
    """The transactional producer of changelogs and offsets of a stateful at-least-once stage."""
    return {
        **kafka.client_config(),
        "enable.idempotence": True,
        "linger.ms": s.producer_linger_ms,
        "compression.type": "lz4",
        "transactional.id": f"{stage}-{s.instance_id}",
        "transaction.timeout.ms": int(s.transaction_timeout_s * 1000),
    }


def producer_config(stage: str, kafka: KafkaSettings, s: StreamSettings) -> dict[str, Any]:
    """The producer of stage ``stage``: idempotent, transactional under exactly-once."""
    config: dict[str, Any] = {
        **kafka.client_config(),
        "enable.idempotence": True,  # broker-side dedup of librdkafka's own retries
        "linger.ms": s.producer_linger_ms,
        "compression.type": "lz4",
    }
    if s.processing_guarantee == "exactly_once":
        # Stable per replica: a restarted replica fences its previous incarnation.
        config["transactional.id"] = f"{stage}-{s.instance_id}"
        config["transaction.timeout.ms"] = int(s.transaction_timeout_s * 1000)
    return config


def fatal_error(error: KafkaError) -> bool:
    """A fatal consumer error: flagged so, or the event librdkafka raises for one (its code
    _FATAL, the flag not always set on it: a fenced static member was seen so)."""
    return bool(error.fatal()) or error.code() == KafkaError._FATAL
