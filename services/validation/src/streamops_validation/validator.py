"""The validation transform: raw events in; valid events, rejections and alerts out."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from streamops.pipeline import Pipeline
from streamops.runtime import BatchResult, InRecord, OutRecord, Reason, Rejection
from streamops_validation.alerts import AlertTracker, Measurement, Window
from streamops_validation.metrics import ValidationMetrics
from streamops_validation.rules import compile_rules, evaluate
from streamops_validation.windows import QualityWindow, RateWindow


def _now_ms() -> int:
    return int(time.time() * 1000)


class Validator:
    """Applies a pipeline's expectations; usable as a Stage transform and on_tick."""

    def __init__(
        self,
        pipeline: Pipeline,
        metrics: ValidationMetrics | None = None,
        clock_ms: Callable[[], int] = _now_ms,
    ) -> None:
        spec = pipeline.spec
        self.valid_topic = f"{spec.name}.events.valid"
        self.alerts_topic = f"{spec.name}.alerts"
        self.rules = compile_rules(dict(spec.expectations.fields))
        self.metrics = metrics
        self.clock_ms = clock_ms
        now = clock_ms()
        self.rates = RateWindow(spec.expectations.alerts, now)
        window = spec.expectations.window
        self.quality = QualityWindow(window, now) if window is not None else None
        self.alerts = AlertTracker(spec.name)

    def validate_batch(self, records: Sequence[InRecord]) -> BatchResult:
        """Valid records to events.valid; every failing record rejected with all its reasons."""
        # windows whose time is up close before this batch is counted into the next ones
        alerts = self.tick()
        values = [r.value for r in records]
        failures, counts = evaluate(self.rules, values)
        reasons: dict[int, list[Reason]] = {
            i: [
                Reason(rule.rule, rule.explain(v), field=rule.field, value=_text(v))
                for rule, v in failed
            ]
            for i, failed in failures.items()
        }
        if self.quality is not None:
            for i, repeats in self.quality.observe(values).items():
                for name, value in repeats:
                    reasons.setdefault(i, []).append(
                        Reason(
                            "unique",
                            f"{name} {value!r} was already seen in this window",
                            field=name,
                            value=_text(value),
                        )
                    )
                    key = ("unique", name)
                    counts[key] = counts.get(key, 0) + 1
        result = BatchResult()
        for i, record in enumerate(records):
            why = reasons.get(i)
            if why is None:
                result.outputs.append(
                    OutRecord(self.valid_topic, record.value, record.key, source=record)
                )
            else:
                result.rejected.append(Rejection(record, "VALIDATION", why))
        self.rates.observe(counts, len(records))
        self._count(len(result.outputs), len(result.rejected), counts)
        result.outputs.extend(alerts)
        return result

    def tick(self) -> list[OutRecord]:
        """Close the windows that are due and return the alerts they call for."""
        now = self.clock_ms()
        alerts: list[dict[str, Any]] = []
        if self.rates.due(now):
            alerts += self._judge(*self.rates.close(now))
        if self.quality is not None and self.quality.due(now):
            window, measurements = self.quality.close(now)
            if self.metrics is not None:
                for m in measurements:
                    if m.statistic == "null_rate":
                        self.metrics.null_ratio.labels(
                            self.metrics.pipeline, m.details["field"]
                        ).set(m.value)
            alerts += self._judge(window, measurements)
        return [OutRecord(self.alerts_topic, a, key=a["alert_id"]) for a in alerts]

    def _judge(self, window: Window, measurements: list[Measurement]) -> list[dict[str, Any]]:
        alerts = self.alerts.judge(measurements, window)
        if self.metrics is not None:
            self.metrics.open_alerts.labels(self.metrics.pipeline).set(
                len(self.alerts.open_subjects)
            )
        return alerts

    def _count(self, valid: int, invalid: int, counts: dict[tuple[str, str], int]) -> None:
        m = self.metrics
        if m is None:
            return
        m.records.labels(m.pipeline, "valid").inc(valid)
        m.records.labels(m.pipeline, "invalid").inc(invalid)
        for (rule, field), n in counts.items():
            if n:
                m.failures.labels(m.pipeline, rule, field).inc(n)


def _text(value: Any) -> str | None:
    """A value as DeadLetter.Reason.value text (None stays None, long text is cut)."""
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= 200 else text[:197] + "..."
