"""Prometheus metrics of the validation service, in the stage's registry (one /metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class ValidationMetrics:
    """Outcomes per record and per label, failures per rule and field, open alerts."""

    def __init__(self, registry: CollectorRegistry, pipeline: str) -> None:
        self.records = Counter(
            "streamops_validation_records_total",
            "Records validated, by outcome.",
            ["pipeline", "outcome"],
            registry=registry,
        )
        self.failures = Counter(
            "streamops_validation_rule_failures_total",
            "Records failing a rule, by rule and field (bounded by the spec).",
            ["pipeline", "rule", "field"],
            registry=registry,
        )
        self.null_ratio = Gauge(
            "streamops_validation_field_null_ratio",
            "Share of nulls of a watched field in the last closed window.",
            ["pipeline", "field"],
            registry=registry,
        )
        self.open_alerts = Gauge(
            "streamops_validation_open_alerts",
            "Data-quality alerts currently open.",
            ["pipeline"],
            registry=registry,
        )
        self.late_reports = Counter(
            "streamops_validation_late_reports_total",
            "Partial reports that reached the owner after their windows were judged.",
            ["pipeline"],
            registry=registry,
        )
        self.labels = Counter(
            "streamops_validation_labels_total",
            "Labels checked, by outcome (valid: to labels.valid; invalid: dead-lettered).",
            ["pipeline", "outcome"],
            registry=registry,
        )
        self.pipeline = pipeline
