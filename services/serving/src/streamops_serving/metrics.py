"""Prometheus metrics of the serving service, in one registry (`/metrics`)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

#: Seconds; answers take ~0.1-1 ms, a swap or a slow shadow shows in the upper buckets.
LATENCY_BUCKETS = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
)  # fmt: skip


class ServingMetrics:
    """Requests, predictions, swaps, the predictions log and the shadow queue."""

    def __init__(self, registry: CollectorRegistry, pipeline: str) -> None:
        self.pipeline = pipeline
        self.request_seconds = Histogram(
            "streamops_serving_request_duration_seconds",
            "Time to answer an HTTP request, by route and the champion version that answered.",
            ["pipeline", "route", "model_version"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.responses = Counter(
            "streamops_serving_http_responses_total",
            "HTTP answers by route and status code (errors by status).",
            ["pipeline", "route", "status"],
            registry=registry,
        )
        self.predictions = Counter(
            "streamops_serving_predictions_total",
            "Predictions made, by source (HTTP, STREAM), role and model version.",
            ["pipeline", "source", "role", "model_version"],
            registry=registry,
        )
        self.event_to_prediction = Histogram(
            "streamops_serving_event_to_prediction_seconds",
            "Stream scoring: from the features record's timestamp to its prediction.",
            ["pipeline"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry,
        )
        self.swaps = Counter(
            "streamops_serving_model_swaps_total",
            "Line-up changes taken live (promotion, rollback, shadow, canary, retirement).",
            ["pipeline", "model"],
            registry=registry,
        )
        self.load_seconds = Histogram(
            "streamops_serving_model_load_seconds",
            "Time to read, check, load and warm one model version.",
            ["pipeline", "model"],
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry,
        )
        self.refused = Counter(
            "streamops_serving_models_refused_total",
            "Versions not served: features the online view cannot produce, a bad artifact.",
            ["pipeline", "model"],
            registry=registry,
        )
        self.serving_version = Gauge(
            "streamops_serving_model_version",
            "The version serving each role; 0 when the role is empty.",
            ["pipeline", "model", "role"],
            registry=registry,
        )
        self.log_dropped = Counter(
            "streamops_serving_prediction_log_dropped_total",
            "HTTP predictions not written to the predictions topic: the buffer was full.",
            ["pipeline"],
            registry=registry,
        )
        self.log_failed = Counter(
            "streamops_serving_prediction_log_failed_total",
            "HTTP predictions the broker did not take (delivery failed).",
            ["pipeline"],
            registry=registry,
        )
        self.log_queued = Gauge(
            "streamops_serving_prediction_log_queued",
            "HTTP predictions waiting to be written to the predictions topic.",
            ["pipeline"],
            registry=registry,
        )
        self.shadow_dropped = Counter(
            "streamops_serving_shadow_dropped_total",
            "Requests the shadow did not score: its queue was full (it is slower than traffic).",
            ["pipeline"],
            registry=registry,
        )
        self.shadow_errors = Counter(
            "streamops_serving_shadow_errors_total",
            "Shadow scorings that failed; the caller never sees them.",
            ["pipeline"],
            registry=registry,
        )
