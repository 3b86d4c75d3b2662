"""What the owner's judges share: the alert kinds, one decision round's findings
(`Judged`), and who issues an alert."""

from __future__ import annotations

from dataclasses import dataclass, field

from streamops.alerts import Issuer
from streamops.contracts.types import Alert, AlertKind, AlertSeverity
from streamops_monitoring.reference import Reference

KINDS: tuple[AlertKind, ...] = (
    "DATA_DRIFT",
    "PREDICTION_DRIFT",
    "CONCEPT_DRIFT",
    "MODEL_PERFORMANCE",
)


@dataclass
class Judged:
    """What one decision round found: alerts, and figures for the gauges."""

    alerts: list[Alert] = field(default_factory=list)
    feature_scores: dict[str, tuple[str, float]] = field(default_factory=dict)
    drifted_features: int | None = None
    prediction_score: tuple[str, float] | None = None
    performance: dict[int, dict[str, float]] = field(default_factory=dict)
    #: the champion's figures estimated from the scores of the latest window, no labels
    estimated: dict[int, dict[str, float]] = field(default_factory=dict)
    #: estimated minus realised, both on the same latest labelled predictions
    gap: dict[int, dict[str, float]] = field(default_factory=dict)
    windows: dict[str, int] = field(default_factory=dict)


def issuer(pipeline: str, kind: AlertKind, ref: Reference) -> Issuer:
    """The issuer of ``kind`` alerts about the champion ``ref``."""
    severity: AlertSeverity = (
        "CRITICAL" if kind in ("CONCEPT_DRIFT", "MODEL_PERFORMANCE") else "WARNING"
    )
    return Issuer(pipeline, kind, severity, ref.model_name, ref.version)
