"""`streamops topics list|ensure` without a broker: the catalog table and error exits."""

from __future__ import annotations

from typer.testing import CliRunner

from streamops.cli.topics import EXIT_ERROR, app
from tests.support.kafka import free_port

runner = CliRunner()


def test_list_prints_the_catalog_as_a_table() -> None:
    result = runner.invoke(app, ["list", "fraud", "--partitions", "4", "--replication-factor", "3"])
    assert result.exit_code == 0, result.output
    header, *rows = result.output.splitlines()
    assert header.split() == ["topic", "partitions", "replicas", "config"]
    assert len(rows) == 13
    models = next(row for row in rows if row.startswith("fraud.models "))
    assert models.split()[:3] == ["fraud.models", "1", "3"]
    assert "cleanup.policy=compact" in models and "max.message.bytes" not in models
    deployments = next(row for row in rows if row.startswith("fraud.deployments "))
    assert "cleanup.policy=delete" in deployments and "retention.ms=-1" in deployments
    raw = next(row for row in rows if row.startswith("fraud.events.raw "))
    assert raw.split()[:3] == ["fraud.events.raw", "4", "3"]


def test_list_shows_broker_default_replication() -> None:
    result = runner.invoke(app, ["list", "fraud"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].split()[:3] == ["fraud.events.raw", "6", "default"]


def test_bad_pipeline_name_exits_with_the_reason() -> None:
    result = runner.invoke(app, ["ensure", "fr.aud"])
    assert result.exit_code == EXIT_ERROR
    assert "pipeline name 'fr.aud' contains '.'" in result.output


def test_unreachable_cluster_exits_with_the_address() -> None:
    address = f"127.0.0.1:{free_port()}"
    result = runner.invoke(
        app, ["ensure", "fraud", "--bootstrap-servers", address, "--timeout", "1"]
    )
    assert result.exit_code == EXIT_ERROR
    assert "cannot read cluster metadata within 1s" in result.output
    assert address in result.output
