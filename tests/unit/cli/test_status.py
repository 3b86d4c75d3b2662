"""`streamops status`: the snapshot derived from fake looks, its JSON and its tables, the
live view's loop, and the command's errors, all without a broker."""

from __future__ import annotations

import datetime
import json
import threading
from pathlib import Path
from typing import Any, cast

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from rich.console import Console
from typer.testing import CliRunner

from streamops.cli import app
from streamops.contracts.types import Alert, Deployment
from streamops.pipeline import Pipeline, load_pipeline
from streamops.registry import ModelState
from streamops.status import (
    MONITORING_METRICS_URL,
    TRAINING_METRICS_URL,
    Observation,
    StatusError,
    StatusView,
    build_snapshot,
    render_snapshot,
)
from streamops.status.snapshot import GroupOffsets, HeldRetrain, TopicOffsets
from streamops_monitoring.metrics import MonitoringMetrics
from streamops_monitoring.settings import MonitoringSettings
from streamops_training.metrics import TrainingMetrics
from streamops_training.settings import TrainingSettings
from streamops_training.triggers import Held
from tests.unit.contracts.examples import ALERT, DEPLOYMENT

REPO = Path(__file__).resolve().parents[3]
FRAUD = REPO / "deploy" / "pipelines" / "fraud.yaml"
T0 = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(scope="module")
def fraud() -> Pipeline:
    return load_pipeline(FRAUD)


def _deployment(version: int, action: str, at: datetime.datetime) -> Deployment:
    record: dict[str, Any] = {
        **DEPLOYMENT,
        "deployment_id": f"d-{version}-{action}",
        "pipeline": "fraud",
        "model_name": "fraud-detector",
        "version": version,
        "action": action,
        "decided_at": at,
    }
    return cast(Deployment, record)


def _model() -> ModelState:
    state = ModelState("fraud-detector")
    state.apply(_deployment(1, "PROMOTE", T0 - datetime.timedelta(hours=2)))
    state.apply(_deployment(2, "PROMOTE", T0 - datetime.timedelta(hours=1)))
    return state


def _alert(alert_id: str, state: str, opened: datetime.datetime, **changes: Any) -> Alert:
    record: dict[str, Any] = {
        **ALERT,
        "alert_id": alert_id,
        "state": state,
        "opened_at": opened,
        **changes,
    }
    return cast(Alert, record)


def _metrics_text() -> str:
    """/metrics as the monitoring service publishes it (its own metric objects)."""
    registry = CollectorRegistry()
    metrics = MonitoringMetrics(registry, "fraud")
    metrics.performance.labels("fraud", "2", "pr_auc", "realised").set(0.8125)
    metrics.performance.labels("fraud", "2", "pr_auc", "estimated").set(0.79)
    metrics.performance.labels("fraud", "1", "pr_auc", "realised").set(0.5)  # not the champion
    metrics.performance.labels("fraud", "2", "roc_auc", "realised").set(0.95)  # not primary
    metrics.performance.labels("other", "2", "pr_auc", "realised").set(0.1)  # another pipeline
    return generate_latest(registry).decode()


def _training_text(held: Held | None, pipeline: str = "fraud") -> str:
    """/metrics as the training service publishes it, ``held`` shown (`Triggers.held`)."""
    registry = CollectorRegistry()
    TrainingMetrics(registry, pipeline).show_held(held)
    return generate_latest(registry).decode()


def _observation(
    at: datetime.datetime,
    raw_written: int,
    *,
    metrics: str | None = None,
    training: str | None = None,
) -> Observation:
    return Observation(
        taken_at=at,
        topics={
            "fraud.events.raw": TopicOffsets(records=raw_written - 100, written=raw_written),
            "fraud.events.valid": TopicOffsets(records=900, written=900),
            "fraud.alerts": TopicOffsets(records=3, written=3),
        },
        groups={"fraud.validation": GroupOffsets("STABLE", 42), "fraud.serving": None},
        model=_model(),
        alerts=[
            _alert("a1", "OPEN", T0 - datetime.timedelta(minutes=30), kind="DATA_DRIFT"),
            _alert("a2", "OPEN", T0 - datetime.timedelta(minutes=20), subject="amount"),
            _alert("a1", "RESOLVED", T0 - datetime.timedelta(minutes=30)),
        ],
        metrics=metrics,
        training_metrics=training,
    )


def test_the_snapshot_derives_counts_rates_lags_champion_alerts_and_metric(
    fraud: Pipeline,
) -> None:
    before = _observation(T0, 1000)
    seen = _observation(T0 + datetime.timedelta(seconds=2), 1500, metrics=_metrics_text())
    snapshot = build_snapshot(fraud, seen, before)

    topics = {row.topic: row for row in snapshot.topics}
    assert list(topics)[:3] == ["fraud.events.raw", "fraud.events.valid", "fraud.events.dlq"]
    assert {"fraud.labels.valid", "fraud.predictions", "fraud.deployments"} <= set(topics)
    assert (topics["fraud.events.raw"].records, topics["fraud.events.raw"].rate) == (1400, 250.0)
    assert (topics["fraud.events.valid"].records, topics["fraud.events.valid"].rate) == (900, 0)
    assert (topics["fraud.events.dlq"].records, topics["fraud.events.dlq"].rate) == (None, None)

    groups = {row.service: (row.group, row.state, row.lag) for row in snapshot.groups}
    assert groups == {
        "validation": ("fraud.validation", "STABLE", 42),
        "features": ("fraud.features", None, None),
        "serving": ("fraud.serving", None, None),
        "monitoring": ("fraud.monitoring", None, None),
    }
    assert snapshot.champion.model == "fraud-detector"
    assert snapshot.champion.version == 2
    assert snapshot.champion.since == T0 - datetime.timedelta(hours=1)
    assert [a.alert_id for a in snapshot.alerts] == ["a2"]  # a1's latest record resolved it
    assert snapshot.alerts[0].subject == "amount"
    metric = snapshot.metric
    assert (metric.name, metric.version, metric.realised, metric.estimated, metric.reachable) == (
        "pr_auc",
        2,
        0.8125,
        0.79,
        True,
    )


def test_a_first_look_has_no_rates_and_monitoring_down_is_unreachable(fraud: Pipeline) -> None:
    snapshot = build_snapshot(fraud, _observation(T0, 1000))
    assert all(row.rate is None for row in snapshot.topics)
    assert not snapshot.metric.reachable
    assert snapshot.metric.realised is None


def test_the_json_snapshot_is_plain_json(fraud: Pipeline) -> None:
    seen = _observation(T0, 1000, metrics=_metrics_text())
    data = json.loads(json.dumps(build_snapshot(fraud, seen).as_json()))
    assert data["pipeline"] == "fraud"
    assert data["taken_at"] == "2026-03-01T12:00:00+00:00"
    assert data["champion"] == {
        "model": "fraud-detector",
        "version": 2,
        "since": "2026-03-01T11:00:00+00:00",
    }
    assert [a["alert_id"] for a in data["alerts"]] == ["a2"]
    assert data["topics"][0] == {"topic": "fraud.events.raw", "records": 900, "rate": None}
    assert data["metric"]["realised"] == 0.8125


def test_the_tables_show_every_part(fraud: Pipeline) -> None:
    before = _observation(T0, 1000)
    seen = _observation(T0 + datetime.timedelta(seconds=2), 1500, metrics=_metrics_text())
    text = _text(render_snapshot(build_snapshot(fraud, seen, before)))
    assert "streamops status fraud" in text
    assert "fraud.events.raw" in text and "1,400" in text and "250.0" in text
    assert "missing" in text  # the dlq
    assert "not running" in text and "42" in text
    assert "fraud-detector v2 since 2026-03-01 11:00:00 UTC" in text
    assert "pr_auc of v2: realised 0.8125, estimated 0.7900" in text
    assert "open alerts (1)" in text and "amount" in text

    down = _text(render_snapshot(build_snapshot(fraud, _observation(T0, 1000))))
    assert "pr_auc: monitoring unreachable" in down


def test_the_default_monitoring_url_is_the_monitoring_services_port() -> None:
    port = MonitoringSettings.model_fields["health_port"].default
    assert f"http://localhost:{port}/metrics" == MONITORING_METRICS_URL
    port = TrainingSettings.model_fields["health_port"].default
    assert f"http://localhost:{port}/metrics" == TRAINING_METRICS_URL


def test_a_retrain_held_for_labelled_rows_is_shown_under_the_open_alerts(
    fraud: Pipeline,
) -> None:
    held = Held(("a2", "a3"), since_ms=0, rows=4_210, needed=6_667)
    seen = _observation(T0, 1000, training=_training_text(held))
    snapshot = build_snapshot(fraud, seen)
    assert snapshot.held == HeldRetrain(alerts=2, rows=4_210, needed=6_667)
    text = _text(render_snapshot(snapshot))
    assert (
        "the retrain on 2 of them waits for labelled rows since their window: 4,210 of 6,667"
        in (" ".join(text.split()))
    )
    assert json.loads(json.dumps(snapshot.as_json()))["held"] == {
        "alerts": 2,
        "rows": 4_210,
        "needed": 6_667,
    }
    # none held, another pipeline's, training down, or not Prometheus text: nothing shown
    for training in (
        _training_text(None),
        _training_text(held, pipeline="other"),
        None,
        "<html>not metrics</html>",
    ):
        snapshot = build_snapshot(fraud, _observation(T0, 1000, training=training))
        assert snapshot.held is None, training
        assert "waits for labelled rows" not in _text(render_snapshot(snapshot))


class FakeReader:
    """Looks that count up, then fail or stop the view."""

    def __init__(self, pipeline: Pipeline, fail_at: int, stop: threading.Event) -> None:
        self.pipeline = pipeline
        self.looks = 0
        self.fail_at = fail_at
        self.stop = stop
        self.closed = False

    def observe(self) -> Observation:
        self.looks += 1
        if self.looks == self.fail_at:
            raise StatusError("broker gone")
        if self.looks >= 4:
            self.stop.set()
        at = T0 + datetime.timedelta(seconds=self.looks)
        return _observation(at, 1000 + 10 * self.looks)

    def close(self) -> None:
        self.closed = True


def test_the_live_view_survives_a_failed_look_and_stops_when_asked(fraud: Pipeline) -> None:
    stop = threading.Event()
    reader = FakeReader(fraud, fail_at=2, stop=stop)
    console = Console(record=True, width=160, force_terminal=True)
    with StatusView(reader) as view:
        view.run(0.01, console=console, stop=stop)
        assert reader.looks == 4
        assert view.error is None  # the look after the failure succeeded
        assert view.snapshot is not None
        raw = next(row for row in view.snapshot.topics if row.topic == "fraud.events.raw")
        assert raw.rate == pytest.approx(10.0)  # between looks 3 and 4, one second apart
    assert reader.closed
    assert "last refresh failed: broker gone" in console.export_text()


def test_ctrl_c_ends_the_live_view_quietly(fraud: Pipeline) -> None:
    class Interrupted(FakeReader):
        def observe(self) -> Observation:
            raise KeyboardInterrupt

    view = StatusView(Interrupted(fraud, fail_at=0, stop=threading.Event()))
    view.run(0.01, console=Console(file=open("/dev/null", "w")))  # noqa: SIM115
    assert view.snapshot is None


runner = CliRunner()


def test_a_pipeline_without_a_spec_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["status", "nosuchpipeline", "--once"])
    assert result.exit_code == 2
    assert "no spec for pipeline nosuchpipeline" in result.output


def test_a_spec_of_another_pipeline_exits_2() -> None:
    result = runner.invoke(app, ["status", "other", "--spec", str(FRAUD), "--once"])
    assert result.exit_code == 2
    assert "is the spec of pipeline fraud, not other" in result.output


def _text(renderable: Any) -> str:
    console = Console(record=True, width=200)
    console.print(renderable)
    return console.export_text()
