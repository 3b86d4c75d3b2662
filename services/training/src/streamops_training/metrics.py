"""Prometheus metrics of the training service."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class TrainingMetrics:
    """Jobs by trigger and outcome, their duration, what the policy sees."""

    def __init__(self, registry: CollectorRegistry, pipeline: str) -> None:
        self.pipeline = pipeline
        self.runs = Counter(
            "streamops_training_runs_total",
            "Training jobs finished, by trigger and outcome.",
            ["pipeline", "trigger", "outcome"],
            registry=registry,
        )
        self.duration = Histogram(
            "streamops_training_run_duration_seconds",
            "Wall time of a training job, dataset to published version.",
            ["pipeline"],
            buckets=(1, 2.5, 5, 10, 20, 40, 60, 120, 300, 600, 1800),
            registry=registry,
        )
        self.labels_known = Gauge(
            "streamops_training_labels_known",
            "Labelled rows a dataset built now would have (see the training README).",
            ["pipeline"],
            registry=registry,
        )
        self.paused = Gauge(
            "streamops_training_paused",
            "1 while automatic retraining is paused by an operator.",
            ["pipeline"],
            registry=registry,
        )
        self.champion = Gauge(
            "streamops_training_champion_version",
            "The champion's version; 0 while there is none.",
            ["pipeline"],
            registry=registry,
        )
        self.probations = Counter(
            "streamops_training_probations_total",
            "New champions judged against the one they replaced, by verdict (kept, rolled_back).",
            ["pipeline", "verdict"],
            registry=registry,
        )
