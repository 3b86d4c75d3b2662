"""Prometheus metrics of the monitoring service, in the stage's registry (one /metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class MonitoringMetrics:
    """Drift scores, performance per version, the join's backlog, open alerts."""

    def __init__(self, registry: CollectorRegistry, pipeline: str) -> None:
        self.pipeline = pipeline
        self.records = Counter(
            "streamops_monitoring_records_total",
            "Records monitored, by input (features, predictions, labels).",
            ["pipeline", "input"],
            registry=registry,
        )
        self.late = Counter(
            "streamops_monitoring_late_records_total",
            "Records whose interval had already been published when they came.",
            ["pipeline", "input"],
            registry=registry,
        )
        self.drift = Gauge(
            "streamops_monitoring_feature_drift",
            "The drift statistic of each feature in the last judged window.",
            ["pipeline", "feature", "test"],
            registry=registry,
        )
        self.drifted_features = Gauge(
            "streamops_monitoring_drifted_features",
            "Features beyond their threshold in the last judged window.",
            ["pipeline"],
            registry=registry,
        )
        self.prediction_drift = Gauge(
            "streamops_monitoring_prediction_drift",
            "The drift statistic of the champion's scores in the last judged window.",
            ["pipeline", "test"],
            registry=registry,
        )
        self.performance = Gauge(
            "streamops_monitoring_model_metric",
            "Rolling metric of a model version over its latest labelled predictions "
            "(source: realised from labels, or estimated from the scores before labels).",
            ["pipeline", "model_version", "metric", "source"],
            registry=registry,
        )
        self.estimate_gap = Gauge(
            "streamops_monitoring_estimate_gap",
            "Estimated (from the scores alone) minus realised (from the labels) value of each "
            "metric, on the same latest labelled predictions of the champion version.",
            ["pipeline", "model_version", "metric"],
            registry=registry,
        )
        self.labelled = Counter(
            "streamops_monitoring_labelled_predictions_total",
            "Predictions joined with their label, by how (label, or negative after delay).",
            ["pipeline", "how"],
            registry=registry,
        )
        self.windows = Counter(
            "streamops_monitoring_windows_judged_total",
            "Windows the owner judged, by what (data, prediction).",
            ["pipeline", "what"],
            registry=registry,
        )
        self.progress = Gauge(
            "streamops_monitoring_event_time_seconds",
            "How far the owner is in event time (epoch s): what=clock (the newest watermark "
            "of the partials), data (the end of the last window judged), labels (of the "
            "last labelled interval fed), partition (each partition's newest watermark).",
            ["pipeline", "what", "partition"],
            registry=registry,
        )
        self.late_partials = Counter(
            "streamops_monitoring_late_partials_total",
            "Partials that reached the owner after their windows were judged.",
            ["pipeline"],
            registry=registry,
        )
        self.open_alerts = Gauge(
            "streamops_monitoring_open_alerts",
            "Monitoring alerts currently open, by kind.",
            ["pipeline", "kind"],
            registry=registry,
        )
        self.champion = Gauge(
            "streamops_monitoring_champion_version",
            "The champion version whose reference the live data is compared with.",
            ["pipeline"],
            registry=registry,
        )
