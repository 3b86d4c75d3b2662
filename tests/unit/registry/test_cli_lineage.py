"""`streamops lineage` without a broker: which arguments go together, and exit codes."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from streamops.cli import app
from streamops.cli.models import EXIT_ERROR
from tests.support.kafka import free_port

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give one of --version N and --prediction ID"),
        (["--version", "1", "--prediction", "p-1"], "give one of --version N and --prediction ID"),
        (["--prediction", "p-1", "--model", "m"], "--model goes with --version"),
    ],
)
def test_exactly_one_of_version_and_prediction(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["lineage", "fraud", *args])
    assert result.exit_code == EXIT_ERROR, result.output
    assert f"error: {message}" in result.output


def test_a_prediction_on_an_unreachable_cluster_exits_2_with_the_address() -> None:
    address = f"127.0.0.1:{free_port()}"
    args = ["lineage", "fraud", "--prediction", "p-1", "--bootstrap-servers", address]
    result = runner.invoke(app, [*args, "--timeout", "1"])
    assert result.exit_code == EXIT_ERROR, result.output
    assert "cannot reach the Kafka cluster" in result.output and address in result.output


def test_a_prediction_of_a_bad_pipeline_name_exits_2_with_the_reason() -> None:
    result = runner.invoke(app, ["lineage", "fr.aud", "--prediction", "p-1"])
    assert result.exit_code == EXIT_ERROR
    assert "pipeline name 'fr.aud' contains '.'" in result.output
