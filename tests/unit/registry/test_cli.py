"""`streamops models` and `streamops runs` without a broker: arguments, exit codes, tables."""

from __future__ import annotations

import datetime
import re

import pytest
from typer.testing import CliRunner

from streamops.cli import app
from streamops.cli.models import EXIT_ERROR
from streamops.cli.render import history_table, runs_table, versions_table
from tests.support.kafka import free_port
from tests.unit.contracts.examples import TRAINING_RUN
from tests.unit.registry.records import MODEL, act, published

runner = CliRunner()


@pytest.mark.parametrize(
    "args",
    [
        ["models", "list", "fraud"],
        ["models", "promote", "fraud", "2", "--reason", "better"],
        ["runs", "fraud"],
    ],
)
def test_an_unreachable_cluster_exits_2_with_the_address(args: list[str]) -> None:
    address = f"127.0.0.1:{free_port()}"
    result = runner.invoke(app, [*args, "--bootstrap-servers", address, "--timeout", "1"])
    assert result.exit_code == EXIT_ERROR, result.output
    assert "cannot reach the Kafka cluster" in result.output


def test_a_bad_pipeline_name_exits_2_with_the_reason() -> None:
    result = runner.invoke(app, ["models", "list", "fr.aud"])
    assert result.exit_code == EXIT_ERROR
    assert "pipeline name 'fr.aud' contains '.'" in result.output


@pytest.mark.parametrize("action", ["promote", "retire"])
def test_actions_need_a_reason(action: str) -> None:
    result = runner.invoke(app, ["models", action, "fraud", "2"])
    assert result.exit_code == 2
    assert "Missing option '--reason'" in result.output


def test_the_versions_table_shows_roles_newest_first() -> None:
    state = published(1, 2, 3)
    act(state, "PROMOTE", 1)
    act(state, "CANARY", 3, weight=0.05)
    lines = versions_table(state.model(MODEL)).splitlines()
    assert lines[0].split()[:3] == ["version", "role", "created"]
    assert [line.split()[:2] for line in lines[1:]] == [
        ["3", "CANARY"],
        ["2", "-"],
        ["1", "CHAMPION"],
    ]
    assert "CANARY 0.05" in lines[1]


def test_a_versions_history_includes_the_events_that_replaced_it() -> None:
    state = published(1, 2)
    act(state, "PROMOTE", 1)
    events_read = datetime.datetime(2026, 3, 2, 7, 30, tzinfo=datetime.UTC)
    act(state, "PROMOTE", 2, event_time=events_read)  # as training decides
    history = history_table(state.model(MODEL), 1).splitlines()
    assert re.split(r"\s{2,}", history[0])[:3] == ["decided", "at event time", "action"]
    cells = [[c.strip() for c in re.split(r"\s{2,}", line)] for line in history[1:]]
    assert [row[1:3] for row in cells] == [
        ["-", "PROMOTE"],  # none recorded
        ["2026-03-02 07:30:00", "replaced (PROMOTE v2)"],
    ]
    assert history_table(published(1).model(MODEL), 1) == "no deployment events"


def test_the_runs_table_has_a_row_and_a_reason_per_run() -> None:
    failed = {
        **TRAINING_RUN,
        "run_id": "ffff0000-0000-4000-8000-000000000000",
        "outcome": "FAILED",
        "reason": "the dataset had no labelled row",
        "trigger": {"kind": "MANUAL", "alert_ids": [], "detail": "alice"},
        "finished_at": TRAINING_RUN["started_at"] + datetime.timedelta(seconds=2.5),
        "model_version": None,
        "metrics": {},
    }
    lines = runs_table([TRAINING_RUN, failed]).splitlines()  # type: ignore[list-item]
    assert "ALERT (1 alert)" in lines[1] and "REJECTED" in lines[1] and "v5" in lines[1]
    assert "pr_auc=0.801" in lines[1]
    assert lines[2].split()[4:8] == ["2.5", "s", "MANUAL", "FAILED"]
    assert lines[-1] == "ffff0000  the dataset had no labelled row"
