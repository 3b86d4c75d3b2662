"""librdkafka configuration of a stage's consumer and producer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from streamops.runtime.settings import StreamSettings
from streamops.settings import KafkaSettings


def consumer_config(
    stage: str, kafka: KafkaSettings, s: StreamSettings, on_stats: Callable[[str], None]
) -> dict[str, Any]:
    """The consumer of stage ``stage``: its group, manual commits, read_committed."""
    return {
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
