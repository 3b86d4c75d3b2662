"""Prometheus metrics of a stream stage (one registry per stage, so tests stay isolated)."""

from __future__ import annotations

import json
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Micro-batches take from well under a millisecond (a few records) to seconds (10k records
# with heavy transforms); buckets cover that range.
_BATCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class StageMetrics:
    """Records in/out/dead-lettered, batch durations, transactions and consumer lag."""

    def __init__(self, stage: str, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.stage = stage
        labels = ["stage"]
        self.records_in = Counter(
            "streamops_stream_records_in_total",
            "Records consumed.",
            labels,
            registry=self.registry,
        ).labels(stage)
        self._records_out = Counter(
            "streamops_stream_records_out_total",
            "Records produced, by output topic.",
            [*labels, "topic"],
            registry=self.registry,
        )
        self._dead_lettered = Counter(
            "streamops_stream_records_dead_lettered_total",
            "Records sent to the dead-letter topic, by error kind.",
            [*labels, "kind"],
            registry=self.registry,
        )
        self.batch_duration = Histogram(
            "streamops_stream_batch_duration_seconds",
            "Time from a micro-batch's first consumed record to its commit.",
            labels,
            buckets=_BATCH_BUCKETS,
            registry=self.registry,
        ).labels(stage)
        self._transactions = Counter(
            "streamops_stream_transactions_total",
            "Transactions ended, by outcome (commit or abort).",
            [*labels, "outcome"],
            registry=self.registry,
        )
        self.registry_retries = Counter(
            "streamops_stream_registry_retries_total",
            "Micro-batches retried because the schema registry did not answer.",
            labels,
            registry=self.registry,
        ).labels(stage)
        self._lag = Gauge(
            "streamops_stream_consumer_lag_records",
            "Records between the committed position and the end of each input partition.",
            [*labels, "topic", "partition"],
            registry=self.registry,
        )

    def records_out(self, topic: str, count: int) -> None:
        self._records_out.labels(self.stage, topic).inc(count)

    def dead_lettered(self, kind: str, count: int = 1) -> None:
        self._dead_lettered.labels(self.stage, kind).inc(count)

    def transaction(self, outcome: str) -> None:
        self._transactions.labels(self.stage, outcome).inc()

    def on_librdkafka_stats(self, stats_json: str) -> None:
        """librdkafka's statistics callback: take each assigned partition's consumer lag."""
        stats: dict[str, Any] = json.loads(stats_json)
        for topic, topic_stats in stats.get("topics", {}).items():
            for partition, p in topic_stats.get("partitions", {}).items():
                # -1 is librdkafka's "internal UA" partition; lag -1 means not known yet
                if partition != "-1" and p.get("consumer_lag", -1) >= 0:
                    self._lag.labels(self.stage, topic, partition).set(p["consumer_lag"])
