"""Prometheus metrics of the features service, in the stage's registry (one /metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class FeaturesMetrics:
    """Events featurized (on time or late), and how far behind the newest event time is."""

    def __init__(self, registry: CollectorRegistry, pipeline: str) -> None:
        self.events = Counter(
            "streamops_features_events_total",
            "Events that got their features record.",
            ["pipeline"],
            registry=registry,
        )
        self.late = Counter(
            "streamops_features_late_events_total",
            "Events later than the grace: computed against the current state, not added.",
            ["pipeline"],
            registry=registry,
        )
        self.watermark = Gauge(
            "streamops_features_watermark_seconds",
            "Newest event time seen, over the partitions this replica holds (Unix seconds).",
            ["pipeline"],
            registry=registry,
        )
        self.pipeline = pipeline
