"""Data-quality alerts: one open alert per subject, opened and resolved with hysteresis.

A subject is a rule on a field (``not_null:amount``) or a window rule (``row_count``,
``null_rate:device_id``). When a closed window measures it above its threshold, an OPEN
alert is emitted unless one is open already; when a later window measures it below its
resolve threshold, the same alert (same id, also the Kafka key) is emitted RESOLVED.
Between the two thresholds nothing happens, so a rate hovering at the limit cannot
flap and a long incident is one alert, not one per window.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Measurement:
    """A statistic of one subject over one closed window, and what it means for the alert."""

    subject: str
    statistic: str
    value: float
    threshold: float
    opens: bool
    resolves: bool
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Window:
    """A closed window of the processing clock, [start, end), and its record count."""

    start_ms: int
    end_ms: int
    records: int


@dataclass
class _Open:
    alert_id: str
    opened_at_ms: int


class AlertTracker:
    """Turns window measurements into OPEN and RESOLVED Alert records (platform contract)."""

    def __init__(self, pipeline: str) -> None:
        self.pipeline = pipeline
        self._open: dict[str, _Open] = {}

    @property
    def open_subjects(self) -> list[str]:
        return sorted(self._open)

    def judge(self, measurements: list[Measurement], window: Window) -> list[dict[str, Any]]:
        """The Alert records the measurements of one closed window call for."""
        alerts = []
        for m in measurements:
            current = self._open.get(m.subject)
            if current is None and m.opens:
                current = self._open[m.subject] = _Open(uuid.uuid4().hex, window.end_ms)
                alerts.append(self._alert(m, window, current, "OPEN"))
            elif current is not None and m.resolves:
                del self._open[m.subject]
                alerts.append(self._alert(m, window, current, "RESOLVED"))
        return alerts

    def _alert(self, m: Measurement, window: Window, alert: _Open, state: str) -> dict[str, Any]:
        verb = "above" if state == "OPEN" else "back below"
        return {
            "alert_id": alert.alert_id,
            "pipeline": self.pipeline,
            "kind": "DATA_QUALITY",
            "severity": "WARNING",
            "state": state,
            "subject": m.subject,
            "statistic": m.statistic,
            "value": m.value,
            "threshold": m.threshold,
            "window": {
                "start": window.start_ms,
                "end": window.end_ms,
                "record_count": window.records,
            },
            "model_name": None,
            "model_version": None,
            "message": f"{self.pipeline}: {m.statistic} of {m.subject} is {m.value:.4g}, "
            f"{verb} {m.threshold:.4g} over the last {window.records} records",
            "details": {**m.details, "window_clock": "processing"},
            "opened_at": alert.opened_at_ms,
            "emitted_at": window.end_ms,
        }
