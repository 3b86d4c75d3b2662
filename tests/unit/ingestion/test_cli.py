"""`streamops ingest` and `streamops run ingestion` start-up errors, without a broker."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from streamops.cli import app as root_app
from streamops_ingestion import cli, service
from tests.unit.events.samples import FRAUD_SPEC, transaction

runner = CliRunner()


def csv_file(path: Path, columns: list[str]) -> Path:
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerow(transaction())
    return path


def test_register_adds_the_ingest_command() -> None:
    app = typer.Typer()
    cli.register(app)
    app.command("noop")(lambda: None)  # a second command keeps typer from flattening the app
    result = runner.invoke(app, ["ingest", "--help"])
    assert result.exit_code == 0
    assert "--pipeline" in result.output and "--rejects" in result.output


def test_the_root_cli_has_ingest_through_the_entry_point() -> None:
    result = runner.invoke(root_app, ["ingest", "--help"])
    assert result.exit_code == 0, result.output
    assert "events.raw" in result.output


def test_the_root_cli_loads_only_the_ingest_command_module() -> None:
    # the root CLI imports streamops_ingestion.cli on every command; a package __init__ that
    # re-exported the app pulled in the HTTP app, Kafka producer and records modules each time
    code = (
        "import sys, streamops.cli; "
        "print(sorted(m for m in sys.modules if m.startswith('streamops_ingestion')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.splitlines()[-1] == "['streamops_ingestion', 'streamops_ingestion.cli']"


def test_a_header_that_cannot_work_exits_2_before_contacting_kafka(tmp_path: Path) -> None:
    path = csv_file(tmp_path / "t.csv", ["card_id", "amout"])
    result = runner.invoke(
        root_app,
        ["ingest", str(path), "--pipeline", str(FRAUD_SPEC), "--bootstrap-servers", "nowhere:1"],
    )
    assert result.exit_code == 2
    assert "columns not in the schema Transaction: amout" in result.output
    assert "nothing was produced" in result.output


def test_a_missing_salt_exits_2_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STREAMOPS_PII_SALT")
    path = csv_file(tmp_path / "t.csv", list(transaction()))
    result = runner.invoke(root_app, ["ingest", str(path), "--pipeline", str(FRAUD_SPEC)])
    assert result.exit_code == 2
    assert "set the salt in $STREAMOPS_PII_SALT" in result.output


def test_a_bad_registry_url_exits_2_naming_it(tmp_path: Path) -> None:
    path = csv_file(tmp_path / "t.csv", list(transaction()))
    result = runner.invoke(
        root_app,
        ["ingest", str(path), "--pipeline", str(FRAUD_SPEC), "--registry-url", "localhost:8081"],
    )
    assert result.exit_code == 2
    assert "STREAMOPS_SCHEMA_REGISTRY_URL: String should match pattern" in result.output


def test_the_service_refuses_bad_settings_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STREAMOPS_INGESTION_HEALTH_PORT", "-1")
    with pytest.raises(SystemExit) as exited:
        service.run(FRAUD_SPEC)
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "ingestion: cannot start: STREAMOPS_INGESTION_HEALTH_PORT: "
        "Input should be greater than or equal to 0 (got '-1')\n"
    )


def test_the_service_refuses_a_bad_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: bad\nevent: {schema: nowhere.avsc}\n")
    with pytest.raises(SystemExit) as exited:
        service.run(spec)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"ingestion: cannot start: {spec}:2: event.id_field: Field required")


def test_the_service_refuses_a_missing_salt_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("STREAMOPS_PII_SALT")
    with pytest.raises(SystemExit) as exited:
        service.run(FRAUD_SPEC)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("ingestion: cannot start: the spec salt-hashes ['card_number']: ")
    assert "$STREAMOPS_PII_SALT" in err


def test_a_rejects_file_that_cannot_be_written_exits_2(tmp_path: Path) -> None:
    path = csv_file(tmp_path / "t.csv", list(transaction()))
    result = runner.invoke(
        root_app,
        [
            "ingest",
            str(path),
            "--pipeline",
            str(FRAUD_SPEC),
            "--rejects",
            str(tmp_path / "missing" / "rejects.jsonl"),
        ],
    )
    assert result.exit_code == 2
    assert "No such file or directory" in result.output
