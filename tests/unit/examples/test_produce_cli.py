"""`streamops produce fraud` refuses to start, clearly and before touching Kafka, when it
cannot do its job safely; how its rate options and time scale reach the producer."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from importlib.util import find_spec
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from streamops.cli import app as root_app
from streamops_examples import cli
from streamops_examples.cli import EXIT_ERROR, app
from streamops_examples.connect import local_stack_salt
from streamops_examples.fraud.clock import Pace
from streamops_examples.fraud.produce import ProduceOptions, ProduceReport
from tests.unit.examples.fraud_rules import FRAUD_SPEC

# Nothing listens here: a command that got as far as Kafka would fail differently.
NOWHERE = ["--bootstrap-servers", "127.0.0.1:1", "--registry-url", "http://127.0.0.1:1"]


def _run(*args: str, salt: str | None = "s", var_dir: Path | None = None) -> tuple[int, str]:
    env = {"STREAMOPS_PII_SALT": salt, "STREAMOPS_LOCAL_VAR_DIR": str(var_dir or "/nonexistent")}
    result = CliRunner().invoke(app, ["fraud", *args, *NOWHERE], env=env)
    return result.exit_code, result.output


def test_produce_fraud_is_a_command_of_the_root_cli() -> None:
    root: Any = typer.main.get_command(root_app)
    fraud = root.commands["produce"].commands["fraud"]
    options = {o for p in fraud.params for o in p.opts + p.secondary_opts}
    assert {
        "--count",
        "--rate",
        "--scenario",
        "--seed",
        "--pipeline",
        "--pipeline-name",
        "--bootstrap-servers",
        "--registry-url",
        "--time-scale",
        "--event-time-rate",
        "--flush-labels",
        "--no-flush-labels",
        "--pii-salt",
    } <= options
    assert "--label-time-scale" not in options  # superseded by the simulated clock
    assert CliRunner().invoke(root_app, ["produce", "fraud", "--help"]).exit_code == 0


def test_produce_comes_from_the_examples_package_not_the_core_library() -> None:
    assert find_spec("streamops.examples") is None
    assert find_spec("streamops.cli.produce") is None
    registered = {ep.name: ep.value for ep in entry_points(group="streamops.cli")}
    assert registered["produce"] == "streamops_examples.cli:register"


def test_no_pii_salt_no_events() -> None:
    code, output = _run("--count", "10", salt=None)
    assert code == EXIT_ERROR
    assert "STREAMOPS_PII_SALT" in output and "--pii-salt" in output
    assert "var/pii-salt" in output


def test_the_local_stacks_salt_is_found_by_itself(tmp_path: Path) -> None:
    (tmp_path / "pii-salt").write_text("the-stacks-salt\n")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("STREAMOPS_LOCAL_VAR_DIR", str(tmp_path))
        assert local_stack_salt() == "the-stacks-salt"
    code, output = _run("--count", "10", salt=None, var_dir=tmp_path)
    assert "STREAMOPS_PII_SALT" not in output  # past the salt: refused by the cluster instead
    assert code == EXIT_ERROR and "127.0.0.1:1" in output


def test_a_bad_scenario_names_the_field(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("name: bad\nphases:\n  - start: 0\n    quality: {null_rate: {amount: 2}}\n")
    code, output = _run("--scenario", str(scenario))
    assert code == EXIT_ERROR
    assert "phases.0.quality.null_rate.amount" in output


def test_a_bad_pipeline_name_is_refused() -> None:
    code, output = _run("--pipeline-name", "not.valid")
    assert code == EXIT_ERROR
    assert "pipeline name 'not.valid'" in output


def test_a_spec_whose_events_are_not_transactions_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Tiny.avsc").write_text(
        json.dumps(
            {
                "type": "record",
                "name": "Tiny",
                "fields": [
                    {"name": "transaction_id", "type": "string"},
                    {"name": "card_id", "type": "string"},
                    {
                        "name": "event_time",
                        "type": {"type": "long", "logicalType": "timestamp-millis"},
                    },
                ],
            }
        )
    )
    spec = tmp_path / "tiny.yaml"
    spec.write_text(
        "name: tiny\nevent: {schema: Tiny.avsc, id_field: transaction_id, key_field: card_id,"
        " time_field: event_time}\n"
    )
    code, output = _run("--pipeline", str(spec))
    assert code == EXIT_ERROR
    assert "has no field amount" in output


def test_a_broken_spec_is_reported(tmp_path: Path) -> None:
    spec = tmp_path / "fraud.yaml"
    spec.write_text(FRAUD_SPEC.read_text().replace("name: fraud", "name: [fraud"))
    code, output = _run("--pipeline", str(spec))
    assert code == EXIT_ERROR
    assert "not valid YAML" in output


class RecordingProducer:
    """Stands in for the Kafka producer: keeps the options it was run with."""

    events_topic = "fraud.events.raw"

    def __init__(self) -> None:
        self.options: ProduceOptions | None = None

    def run(self, options: ProduceOptions, on_progress: Any = None) -> ProduceReport:
        self.options = options
        return ProduceReport(
            "fraud.events.raw",
            "fraud.labels",
            events=30_000,
            fraud=450,
            labels_produced=450,
            labels_flushed=300,
            time_scale=options.pace().time_scale,
            first_event_ms=1_767_225_600_000,
            last_event_ms=1_767_225_600_000 + 86_400_000,
            elapsed_s=60.0,
        )


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch) -> RecordingProducer:
    producer = RecordingProducer()
    opened = (producer, SimpleNamespace(created=[], drifted=[]))
    monkeypatch.setattr(cli, "open_fraud_producer", lambda *a, **kw: opened)
    return producer


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], Pace(0.0, 100.0, None)),
        (["--rate", "200"], Pace(200.0, 200.0, None)),
        (["--rate", "500", "--time-scale", "1440"], Pace(500.0, 500.0 / 1440, 1440.0)),
        (["--event-time-rate", "0.5", "--time-scale", "1440"], Pace(720.0, 0.5, 1440.0)),
        (
            ["--rate", "720", "--event-time-rate", "0.5", "--time-scale", "1440"],
            Pace(720.0, 0.5, 1440.0),
        ),
    ],
)
def test_rates_and_time_scale_reach_the_producer(
    recording: RecordingProducer, args: list[str], expected: Pace
) -> None:
    code, output = _run(*args)
    assert code == 0, output
    assert recording.options is not None and recording.options.pace() == expected


def test_the_summary_shows_the_simulated_span(recording: RecordingProducer) -> None:
    code, output = _run("--rate", "500", "--time-scale", "1440")
    assert code == 0, output
    output = " ".join(output.replace("│", " ").split())  # table cells may wrap
    assert "2026-01-01 00:00:00 to 2026-01-02 00:00:00 UTC (24.0 h)" in output
    assert "1,440x: a wall-clock minute was 24.0 h of event time" in output
    assert "450 to fraud.labels: 150 on time, 300 flushed at the end" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--rate", "500", "--event-time-rate", "1", "--time-scale", "1440"],
            "--rate 500 with --time-scale 1440 makes 0.347222 events per event-time second, "
            "but --event-time-rate is 1 (rate = event-time rate x time scale): give two of "
            "the three",
        ),
        (["--rate", "0", "--time-scale", "1440"], "--rate 0 (as fast as possible) cannot"),
        (["--time-scale", "0"], "--time-scale must be > 0"),
    ],
)
def test_rates_that_contradict_the_time_scale_are_refused(
    recording: RecordingProducer, args: list[str], message: str
) -> None:
    code, output = _run(*args)
    assert code == EXIT_ERROR
    assert message in " ".join(output.split())
    assert recording.options is None  # refused before the producer ran
