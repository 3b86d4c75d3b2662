"""Prometheus metrics of the serving service, in one registry (`/metrics`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

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
        self.event_to_prediction = BatchHistogram(
            "streamops_serving_event_to_prediction_seconds",
            "Stream scoring: from the features record's timestamp to its prediction.",
            {"pipeline": pipeline},
            (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry,
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


class BatchHistogram(Collector):
    """A histogram with fixed labels, observed a batch of values at a time: one numpy pass
    counts a batch into the buckets, where `Histogram.observe` costs ~1 µs a value (6% of
    stream scoring, which observes every record). Exposed as any Prometheus histogram:
    ``_bucket`` (cumulative, ``le`` inclusive), ``_count``, ``_sum``."""

    def __init__(
        self,
        name: str,
        documentation: str,
        labels: Mapping[str, str],
        buckets: Sequence[float],
        registry: CollectorRegistry,
    ) -> None:
        self.name, self.documentation = name, documentation
        self.labels = dict(labels)
        self.bounds = np.asarray(sorted(buckets), dtype=np.float64)
        self._counts = np.zeros(len(self.bounds) + 1, dtype=np.int64)  # the last: +Inf
        self._sum = 0.0
        self._lock = threading.Lock()
        registry.register(self)

    def observe_many(self, values: np.ndarray) -> None:
        """Count ``values`` (seconds) into the buckets."""
        if values.size == 0:
            return
        # side="left": the first bound >= the value, so a value on a bound counts in it
        slots = np.searchsorted(self.bounds, values, side="left")
        counts = np.bincount(slots, minlength=len(self._counts))
        total = float(values.sum())
        with self._lock:
            self._counts += counts
            self._sum += total

    def describe(self) -> Iterator[Metric]:
        yield HistogramMetricFamily(self.name, self.documentation, labels=list(self.labels))

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            cumulative = np.cumsum(self._counts).tolist()
            total = self._sum
        family = HistogramMetricFamily(self.name, self.documentation, labels=list(self.labels))
        # the le text prometheus_client writes (1.0, 0.005); the function has no annotations
        bounds = [floatToGoString(b) for b in self.bounds.tolist()] + ["+Inf"]  # type: ignore[no-untyped-call]
        family.add_metric(
            list(self.labels.values()), list(zip(bounds, cumulative, strict=True)), total
        )
        yield family
