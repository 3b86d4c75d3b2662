"""Data-quality alerts: one open alert per subject, opened and resolved with hysteresis.

A subject is a rule on a field (``not_null:amount``) or a window rule (``row_count``,
``null_rate:device_id``). When a window of the whole stream measures it above its
threshold, an OPEN alert is emitted unless one is open already; when a later window
measures it below its resolve threshold, the same alert (same id, also the Kafka key) is
emitted RESOLVED. Between the two thresholds nothing happens, so a rate hovering at the
limit cannot flap and a long incident is one alert, not one per window.

Open alerts live in the owner's state, so a restarted or rebalanced owner keeps them;
alert ids derive from the pipeline, the subject and the window that opened them, so a
replay or a second owner produces the same id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from streamops.contracts.types import Alert, AlertState
from streamops.state import PartitionState
from streamops_validation.intervals import _datetime

_IDS = uuid.UUID("5f0c8f2e-3d2b-4a55-9f0e-7c1f0d6b2a41")  # namespace of validation alert ids
_OPEN = "alert:"


@dataclass(frozen=True)
class Measurement:
    """A statistic of one subject over one window, and what it means for the alert."""

    subject: str
    statistic: str
    value: float
    threshold: float
    opens: bool
    resolves: bool
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Window:
    """A window of the processing clock, [start, end), and its record count."""

    start_ms: int
    end_ms: int
    records: int


def alert_id(pipeline: str, subject: str, opened_window_start_ms: int) -> str:
    """The same id for the same episode, whoever computes it and however often."""
    return uuid.uuid5(_IDS, f"{pipeline}/{subject}/{opened_window_start_ms}").hex


def judge(
    pipeline: str, state: PartitionState, measurements: list[Measurement], window: Window
) -> list[Alert]:
    """The Alert records the measurements of one window call for; open alerts in ``state``."""
    alerts = []
    for m in measurements:
        key = _OPEN + m.subject
        current = state.get(key)
        if current is None and m.opens:
            current = {
                "alert_id": alert_id(pipeline, m.subject, window.start_ms),
                "opened_at": window.end_ms,
            }
            state.set(key, current)
            alerts.append(_alert(pipeline, m, window, current, "OPEN"))
        elif current is not None and m.resolves:
            state.delete(key)
            alerts.append(_alert(pipeline, m, window, current, "RESOLVED"))
    return alerts


def open_count(state: PartitionState, subjects: list[str]) -> int:
    """How many of ``subjects`` have an open alert."""
    return sum(1 for s in subjects if _OPEN + s in state)


def _alert(
    pipeline: str,
    m: Measurement,
    window: Window,
    current: dict[str, str | int],
    state: AlertState,
) -> Alert:
    verb = "above" if state == "OPEN" else "back below"
    return {
        "alert_id": str(current["alert_id"]),
        "pipeline": pipeline,
        "kind": "DATA_QUALITY",
        "severity": "WARNING",
        "state": state,
        "subject": m.subject,
        "statistic": m.statistic,
        "value": m.value,
        "threshold": m.threshold,
        "window": {
            "start": _datetime(window.start_ms),
            "end": _datetime(window.end_ms),
            "record_count": window.records,
        },
        "model_name": None,
        "model_version": None,
        "message": f"{pipeline}: {m.statistic} of {m.subject} is {m.value:.4g}, "
        f"{verb} {m.threshold:.4g} over the last {window.records} records",
        "details": {**m.details, "window_clock": "processing"},
        "opened_at": _datetime(int(current["opened_at"])),
        "emitted_at": _datetime(window.end_ms),
    }
