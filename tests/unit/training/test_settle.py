"""A retrain the gates rejected settles the alerts it answered, as the spec says."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from typing import Any

from streamops.contracts.types import Alert
from streamops.pipeline.retraining_spec import RetrainingSpec
from streamops_training.runner import JobResult
from streamops_training.service import TrainingService
from streamops_training.settle import acknowledgements
from tests.unit.registry.records import MODEL, act, published

NOW = datetime.datetime(2026, 12, 3, tzinfo=datetime.UTC)


def _alert(alert_id: str, state: str) -> Alert:
    return {  # type: ignore[typeddict-item]
        "alert_id": alert_id,
        "pipeline": "fraud",
        "kind": "DATA_DRIFT",
        "severity": "CRITICAL",
        "state": state,
        "subject": "dataset",
        "statistic": "drifted_features",
        "value": 2.0,
        "threshold": 1.0,
        "message": "2 features drifted",
        "details": {"features": "amount, country"},
        "opened_at": NOW,
        "emitted_at": NOW,
    }


def test_only_the_answered_alerts_still_open_are_acknowledged_with_the_run() -> None:
    alerts = {"a": _alert("a", "OPEN"), "b": _alert("b", "RESOLVED"), "c": _alert("c", "OPEN")}
    acks = acknowledgements(alerts, ("a", "b", "gone"), "run-1", "beats_champion failed", 3, NOW)
    assert [(a["alert_id"], a["state"]) for a in acks] == [("a", "ACKNOWLEDGED")]
    [ack] = acks
    assert ack["details"] == {"features": "amount, country", "acknowledged_by_run": "run-1"}
    assert "beats_champion failed" in ack["message"] and "champion v3 kept" in ack["message"]
    assert (ack["kind"], ack["subject"], ack["opened_at"]) == ("DATA_DRIFT", "dataset", NOW)


def _service(not_promoted: str, written: list[Alert]) -> Any:
    spec = SimpleNamespace(retraining=RetrainingSpec(not_promoted=not_promoted))  # type: ignore[arg-type]
    return SimpleNamespace(
        pipeline=SimpleNamespace(spec=spec),
        watch=SimpleNamespace(alerts={"a": _alert("a", "OPEN")}),
        publisher=SimpleNamespace(record_alert=written.append),
    )


def test_the_spec_says_whether_a_rejected_retrain_acknowledges_or_keeps_its_alerts_open() -> None:
    rejected = JobResult("run-1", "REJECTED", "beats_champion failed")
    written: list[Alert] = []
    TrainingService._settle(_service("acknowledge", written), ("a",), rejected, 1)
    assert [(a["alert_id"], a["state"]) for a in written] == [("a", "ACKNOWLEDGED")]
    kept: list[Alert] = []
    TrainingService._settle(_service("keep_open", kept), ("a",), rejected, 1)
    assert kept == []


def test_refresh_reference_settles_drift_alerts_with_a_refresh_and_acknowledges_the_rest() -> None:
    registry = published(1)
    act(registry, "PROMOTE", 1)
    alerts = {
        "a": _alert("a", "OPEN"),  # DATA_DRIFT
        "b": {**_alert("b", "OPEN"), "kind": "CONCEPT_DRIFT"},
        "c": {**_alert("c", "RESOLVED"), "kind": "PREDICTION_DRIFT"},
    }
    written: list[Any] = []
    service = SimpleNamespace(
        pipeline=SimpleNamespace(
            spec=SimpleNamespace(retraining=RetrainingSpec(not_promoted="refresh_reference"))
        ),
        watch=SimpleNamespace(alerts=alerts),
        publisher=SimpleNamespace(record_alert=written.append, record_deployment=written.append),
        registry=SimpleNamespace(refresh=lambda: None, model=registry.model),
        model_name=MODEL,
        triggers=SimpleNamespace(now_ms=int(NOW.timestamp() * 1000)),  # the newest event read
    )
    service._refresh = lambda *a: TrainingService._refresh(service, *a)  # type: ignore[arg-type]
    service._event_time = lambda: TrainingService._event_time(service)  # type: ignore[arg-type]
    rejected = JobResult("run-1", "REJECTED", "beats_champion failed")
    TrainingService._settle(service, ("a", "b", "c"), rejected, 1)  # type: ignore[arg-type]
    refresh, ack = written
    assert (refresh["action"], refresh["version"], refresh["role"]) == ("REFRESH", 1, "CHAMPION")
    assert refresh["run_id"] == "run-1" and refresh["actor"] == "training"
    assert refresh["event_time"] == NOW
    assert "DATA_DRIFT a" in refresh["reason"] and "beats_champion failed" in refresh["reason"]
    assert (ack["alert_id"], ack["state"]) == ("b", "ACKNOWLEDGED")
    # without a champion there is no reference to refresh: the drift alert is acknowledged
    written.clear()
    TrainingService._settle(service, ("a",), rejected, None)  # type: ignore[arg-type]
    assert [(w["alert_id"], w["state"]) for w in written] == [("a", "ACKNOWLEDGED")]
