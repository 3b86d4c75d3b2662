"""Prometheus metrics of a stage's state, in the stage's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_RESTORE_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class StateMetrics:
    """Keys and bytes held, changelog traffic, expiries and restore times per store."""

    def __init__(self, stage: str, registry: CollectorRegistry) -> None:
        self.stage = stage
        labels = ["stage", "store"]
        self.keys = Gauge(
            "streamops_state_keys", "Keys held by this replica.", labels, registry=registry
        )
        self.bytes = Gauge(
            "streamops_state_bytes",
            "Bytes of keys and values held by this replica.",
            labels,
            registry=registry,
        )
        self.changelog_records = Counter(
            "streamops_state_changelog_records_total",
            "Records written to the store's changelog (changes, tombstones, offset markers).",
            labels,
            registry=registry,
        )
        self.changelog_bytes = Counter(
            "streamops_state_changelog_bytes_total",
            "Key and value bytes written to the store's changelog.",
            labels,
            registry=registry,
        )
        self.expired = Counter(
            "streamops_state_expired_keys_total",
            "Keys deleted because their event time fell behind the store's TTL.",
            labels,
            registry=registry,
        )
        self.restore_seconds = Histogram(
            "streamops_state_restore_seconds",
            "Time to rebuild the assigned partitions from the changelogs, per assignment.",
            ["stage"],
            buckets=_RESTORE_BUCKETS,
            registry=registry,
        ).labels(stage)
        self.restored_records = Counter(
            "streamops_state_restored_records_total",
            "Changelog records read while restoring.",
            labels,
            registry=registry,
        )
