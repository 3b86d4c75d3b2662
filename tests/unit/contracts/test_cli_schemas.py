"""`streamops schemas codegen`, and the failures of `streamops schemas check` without a registry."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from streamops.cli.schemas import app
from tests.support.kafka import free_port

RECORD = {"type": "record", "name": "Thing", "namespace": "t", "fields": []}
runner = CliRunner()


def _schemas(tmp_path: Path, schema: object) -> Path:
    directory = tmp_path / "schemas"
    directory.mkdir(exist_ok=True)
    (directory / "Thing.avsc").write_text(json.dumps(schema))
    return directory


def test_codegen_writes_then_reports_unchanged(tmp_path: Path) -> None:
    schemas, out = _schemas(tmp_path, RECORD), tmp_path / "types.py"
    args = ["codegen", "--schema-dir", str(schemas), "--output", str(out)]
    first = runner.invoke(app, args)
    assert (first.exit_code, first.output.strip()) == (0, f"wrote {out}")
    assert "class Thing(TypedDict):" in out.read_text()
    again = runner.invoke(app, args)
    assert (again.exit_code, again.output.strip()) == (0, f"unchanged {out}")


def test_codegen_check_fails_on_a_stale_module_without_writing(tmp_path: Path) -> None:
    schemas, out = _schemas(tmp_path, RECORD), tmp_path / "types.py"
    args = ["codegen", "--schema-dir", str(schemas), "--output", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    assert runner.invoke(app, [*args, "--check"]).exit_code == 0
    before = out.read_text()
    _schemas(tmp_path, {**RECORD, "fields": [{"name": "added", "type": "int"}]})
    stale = runner.invoke(app, [*args, "--check"])
    assert stale.exit_code == 1
    assert "out of date: run `streamops schemas codegen`" in stale.output
    assert out.read_text() == before


def test_codegen_check_passes_on_the_committed_module() -> None:
    result = runner.invoke(app, ["codegen", "--check"])
    assert result.exit_code == 0, result.output


def test_codegen_errors_exit_2_with_the_reason(tmp_path: Path) -> None:
    bad = {**RECORD, "fields": [{"name": "import", "type": "int"}]}
    result = runner.invoke(app, ["codegen", "--schema-dir", str(_schemas(tmp_path, bad))])
    assert result.exit_code == 2
    assert "error: Thing.avsc: field 'import' of Thing is not a Python identifier" in result.output


def test_check_without_a_registry_exits_2_and_says_what_to_do() -> None:
    url = f"http://127.0.0.1:{free_port()}/apis/ccompat/v7"
    result = runner.invoke(app, ["check", "--registry-url", url])
    assert result.exit_code == 2
    assert f"error: schema registry at {url} failed" in result.output
    assert "make up" in result.output


def test_check_refuses_a_registry_url_that_is_not_http() -> None:
    result = runner.invoke(app, ["check", "--registry-url", "localhost:8081"])
    assert result.exit_code == 2
    assert "bad schema registry settings" in result.output


def test_check_reports_a_broken_schema_file_before_asking_the_registry(tmp_path: Path) -> None:
    bad = {**RECORD, "fields": [{"name": "a", "type": "no_such_type"}]}
    schemas = _schemas(tmp_path, bad)
    url = f"http://127.0.0.1:{free_port()}/apis/ccompat/v7"  # never reached
    result = runner.invoke(app, ["check", "--schema-dir", str(schemas), "--registry-url", url])
    assert result.exit_code == 2
    assert f"error: {schemas / 'Thing.avsc'} is not a valid Avro schema" in result.output
