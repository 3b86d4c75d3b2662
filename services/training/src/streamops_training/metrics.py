"""Prometheus metrics of the training service."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from streamops_training.triggers import Held


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
        # an alert's job waits until enough rows since its window are labelled (the
        # training README): what `streamops status` shows under the open alerts
        self.held_alerts = Gauge(
            "streamops_training_held_alerts",
            "Open alerts whose retrain waits for labelled rows since their window; 0: none.",
            ["pipeline"],
            registry=registry,
        )
        self.held_rows = Gauge(
            "streamops_training_held_labelled_rows",
            "Labelled rows since the held alerts' oldest window (0 while none is held).",
            ["pipeline"],
            registry=registry,
        )
        self.held_needed = Gauge(
            "streamops_training_held_labelled_rows_needed",
            "Labelled rows since that window the held alerts' retrain starts at (0: none held).",
            ["pipeline"],
            registry=registry,
        )
        self.probations = Counter(
            "streamops_training_probations_total",
            "New champions judged against the one they replaced, by verdict (kept, rolled_back).",
            ["pipeline", "verdict"],
            registry=registry,
        )

    def show_held(self, held: Held | None) -> None:
        """The alerts' job held for want of labelled rows (`Triggers.held`), or none."""
        p = self.pipeline
        self.held_alerts.labels(p).set(0 if held is None else len(held.alert_ids))
        self.held_rows.labels(p).set(0 if held is None else held.rows)
        self.held_needed.labels(p).set(0 if held is None else held.needed)
