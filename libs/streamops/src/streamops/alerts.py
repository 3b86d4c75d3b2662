"""Alerts: one open alert per subject, opened and resolved with hysteresis.

A subject is what a measurement is about: a rule on a field (``not_null:amount``), a
window rule (``row_count``), a model's features (``data_drift:fraud-detector``). When a
window of the whole stream measures it beyond its threshold, an OPEN alert is emitted
unless one is open already; when a later window measures it back within its resolve
threshold, the same alert (same id, also the Kafka key) is emitted RESOLVED. Between the
two thresholds nothing happens, so a value hovering at the limit cannot flap and a long
incident is one alert, not one per window.

Open alerts live in the deciding owner's state, so a restarted or rebalanced owner keeps
them; alert ids derive from the pipeline, the kind, the subject and the window that
opened them, so a replay or a second owner produces the same id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from streamops.contracts.types import Alert, AlertKind, AlertSeverity, AlertState
from streamops.features import utc_datetime
from streamops.state import PartitionState

_IDS = uuid.UUID("5f0c8f2e-3d2b-4a55-9f0e-7c1f0d6b2a41")  # namespace of alert ids
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
    #: What an OPEN alert says, e.g. "6 of 24 features drifted"; default: value vs threshold
    summary: str | None = None
    #: What the measurement found beyond its threshold (e.g. the drifted features): while
    #: the alert is open, a window that finds more emits it again, OPEN with the same id
    #: and the wider extent (its topic is compacted by id: the latest record tells all)
    extent: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Window:
    """A window, [start, end) in ms, and its record count; ``clock`` says which time."""

    start_ms: int
    end_ms: int
    records: int
    clock: str = "processing"


@dataclass(frozen=True)
class Issuer:
    """Who raises the alerts: the pipeline, the kind, and the model they are about."""

    pipeline: str
    kind: AlertKind = "DATA_QUALITY"
    severity: AlertSeverity = "WARNING"
    model_name: str | None = None
    model_version: int | None = None


def alert_id(pipeline: str, subject: str, opened_window_start_ms: int) -> str:
    """The same id for the same episode, whoever computes it and however often."""
    return uuid.uuid5(_IDS, f"{pipeline}/{subject}/{opened_window_start_ms}").hex


def judge(
    issuer: Issuer | str,
    state: PartitionState,
    measurements: list[Measurement],
    window: Window,
) -> list[Alert]:
    """The Alert records the measurements of one window call for; open alerts in ``state``."""
    if isinstance(issuer, str):
        issuer = Issuer(issuer)
    alerts = []
    for m in measurements:
        key = _OPEN + m.subject
        current = state.get(key)
        if current is None and m.opens:
            current = {
                "alert_id": alert_id(issuer.pipeline, m.subject, window.start_ms),
                "opened_at": window.end_ms,
                "extent": sorted(m.extent),
            }
            state.set(key, current)
            alerts.append(alert_record(issuer, m, window, current, "OPEN"))
        elif current is not None and m.opens and not m.extent <= set(current.get("extent", ())):
            current["extent"] = sorted(m.extent | set(current.get("extent", ())))
            state.set(key, current)
            alerts.append(alert_record(issuer, m, window, current, "OPEN"))
        elif current is not None and m.resolves:
            state.delete(key)
            alerts.append(alert_record(issuer, m, window, current, "RESOLVED"))
    return alerts


def is_open(state: PartitionState, subject: str) -> bool:
    """Whether ``subject`` has an open alert."""
    return _OPEN + subject in state


def open_extent(state: PartitionState, subject: str) -> frozenset[str]:
    """What the open alert of ``subject`` has found so far (`Measurement.extent`); empty
    when none is open."""
    current = state.get(_OPEN + subject)
    return frozenset(current.get("extent", ())) if current is not None else frozenset()


def open_count(state: PartitionState, subjects: list[str]) -> int:
    """How many of ``subjects`` have an open alert."""
    return sum(1 for s in subjects if _OPEN + s in state)


def alert_record(
    issuer: Issuer,
    m: Measurement,
    window: Window,
    current: dict[str, Any],
    state: AlertState,
) -> Alert:
    """The Alert record of ``m`` over ``window`` in ``state``; ``current`` holds the
    episode's ``alert_id`` and ``opened_at`` (ms)."""
    pipeline = issuer.pipeline
    if m.summary is not None:
        what = m.summary if state == "OPEN" else f"back to normal: {m.summary}"
        message = f"{pipeline}: {what} over {window.records} records"
    else:
        verb = "above" if state == "OPEN" else "back below"
        message = (
            f"{pipeline}: {m.statistic} of {m.subject} is {m.value:.4g}, "
            f"{verb} {m.threshold:.4g} over the last {window.records} records"
        )
    return {
        "alert_id": str(current["alert_id"]),
        "pipeline": pipeline,
        "kind": issuer.kind,
        "severity": issuer.severity,
        "state": state,
        "subject": m.subject,
        "statistic": m.statistic,
        "value": m.value,
        "threshold": m.threshold,
        "window": {
            "start": utc_datetime(window.start_ms),
            "end": utc_datetime(window.end_ms),
            "record_count": window.records,
        },
        "model_name": issuer.model_name,
        "model_version": issuer.model_version,
        "message": message,
        "details": {**m.details, "window_clock": window.clock},
        "opened_at": utc_datetime(int(current["opened_at"])),
        "emitted_at": utc_datetime(window.end_ms),
    }
