"""Prometheus metrics of the ingestion service (one registry per app, so tests stay isolated).

Label values are bounded: ``endpoint`` is a route name, ``code`` an HTTP status, ``pipeline``
one of the configured pipelines, ``reason`` one of `streamops.events.errors.REASONS`.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

# From a few milliseconds (linger + one broker round trip) to the delivery timeout.
_PRODUCE_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class IngestionMetrics:
    """Requests, events accepted / rejected / undelivered, produce and request latency."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._requests = Counter(
            "streamops_ingestion_http_requests_total",
            "HTTP requests answered, by endpoint and status code.",
            ["endpoint", "code"],
            registry=self.registry,
        )
        self._request_duration = Histogram(
            "streamops_ingestion_http_request_duration_seconds",
            "Time to answer an HTTP request, by endpoint.",
            ["endpoint"],
            buckets=_REQUEST_BUCKETS,
            registry=self.registry,
        )
        self._accepted = Counter(
            "streamops_ingestion_events_accepted_total",
            "Events written to {pipeline}.events.raw and acknowledged by Kafka.",
            ["pipeline"],
            registry=self.registry,
        )
        self._rejected = Counter(
            "streamops_ingestion_events_rejected_total",
            "Events refused before Kafka, by the reason of their first error.",
            ["pipeline", "reason"],
            registry=self.registry,
        )
        self._undelivered = Counter(
            "streamops_ingestion_events_undelivered_total",
            "Valid events Kafka did not acknowledge in time (answered 503).",
            ["pipeline"],
            registry=self.registry,
        )
        self._produce_duration = Histogram(
            "streamops_ingestion_produce_duration_seconds",
            "Time from handing a request's events to the producer to Kafka's last acknowledgement.",
            ["pipeline"],
            buckets=_PRODUCE_BUCKETS,
            registry=self.registry,
        )

    def request(self, endpoint: str, code: int, seconds: float) -> None:
        """One answered request."""
        self._requests.labels(endpoint, str(code)).inc()
        self._request_duration.labels(endpoint).observe(seconds)

    def accepted(self, pipeline: str, count: int) -> None:
        """``count`` events acknowledged by Kafka."""
        if count:
            self._accepted.labels(pipeline).inc(count)

    def rejected(self, pipeline: str, reason: str) -> None:
        """One event rejected for ``reason``."""
        self._rejected.labels(pipeline, reason).inc()

    def undelivered(self, pipeline: str, count: int) -> None:
        """``count`` valid events Kafka did not acknowledge."""
        if count:
            self._undelivered.labels(pipeline).inc(count)

    def produced(self, pipeline: str, seconds: float) -> None:
        """The produce latency of one request's events."""
        self._produce_duration.labels(pipeline).observe(seconds)
