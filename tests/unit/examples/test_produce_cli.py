"""`streamops produce fraud` refuses to start, clearly and before touching Kafka, when it
cannot do its job safely."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from streamops.cli import app as root_app
from streamops_examples.cli import EXIT_ERROR, app
from tests.unit.examples.fraud_rules import FRAUD_SPEC

# Nothing listens here: a command that got as far as Kafka would fail differently.
NOWHERE = ["--bootstrap-servers", "127.0.0.1:1", "--registry-url", "http://127.0.0.1:1"]


def _run(*args: str, salt: str | None = "s") -> tuple[int, str]:
    env = {"STREAMOPS_PII_SALT": salt}
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
        "--label-time-scale",
        "--flush-labels",
        "--no-flush-labels",
        "--pii-salt",
    } <= options
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
