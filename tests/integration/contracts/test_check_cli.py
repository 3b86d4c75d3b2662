"""`streamops schemas check` against the real registry, and against git history."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient
from typer.testing import CliRunner, Result

from streamops.cli.schemas import app
from streamops.contracts import load_schema, platform_subject, schema_names

runner = CliRunner()
REQUIRED_FIELD = {"name": "tenant_id", "type": "string", "doc": "No default: breaks old data."}
OPTIONAL_FIELD = {"name": "tenant_id", "type": ["null", "string"], "default": None}


def _check(registry: str, *args: str) -> Result:
    return runner.invoke(app, ["check", "--registry-url", registry, *args])


def _edited_copy(directory: Path, name: str, new_field: dict[str, Any]) -> Path:
    schema = load_schema(name)
    schema["fields"].append(new_field)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.avsc").write_text(json.dumps(schema, indent=2))
    return directory


def test_every_platform_schema_passes_against_itself(
    schema_registry: str,
    registry_client: SchemaRegistryClient,
    subject_prefix: str,
    register: Callable[[str, object], str],
) -> None:
    subjects = {
        name: register(platform_subject(load_schema(name)), load_schema(name))
        for name in schema_names()
    }

    result = _check(schema_registry, "--subject-prefix", subject_prefix)

    assert result.exit_code == 0, result.output
    for name, subject in subjects.items():
        assert f"ok    {name}.avsc vs registry subject {subject} version 1" in result.output
    # The scratch subjects used for the comparisons are gone again.
    left = {s for s in registry_client.get_subjects() if s.startswith(subject_prefix)}
    assert left == set(subjects.values())


def test_new_required_field_fails_naming_the_field(
    schema_registry: str,
    subject_prefix: str,
    register: Callable[[str, object], str],
    tmp_path: Path,
) -> None:
    subject = register("streamops.platform.Alert", load_schema("Alert"))
    schemas = _edited_copy(tmp_path, "Alert", REQUIRED_FIELD)

    result = _check(
        schema_registry, "--subject-prefix", subject_prefix, "--schema-dir", str(schemas)
    )

    assert result.exit_code == 1, result.output
    fail = next(line for line in result.output.splitlines() if line.startswith("FAIL"))
    assert f"Alert.avsc is not BACKWARD compatible with registry subject {subject}" in fail
    assert "(field tenant_id)" in fail
    assert "1 incompatible change(s)" in result.output


def test_new_optional_field_with_default_passes(
    schema_registry: str,
    subject_prefix: str,
    register: Callable[[str, object], str],
    tmp_path: Path,
) -> None:
    subject = register("streamops.platform.Alert", load_schema("Alert"))
    schemas = _edited_copy(tmp_path, "Alert", OPTIONAL_FIELD)

    result = _check(
        schema_registry, "--subject-prefix", subject_prefix, "--schema-dir", str(schemas)
    )

    assert result.exit_code == 0, result.output
    assert f"ok    Alert.avsc vs registry subject {subject} version 1" in result.output


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
    )


def _committed_copy(tmp_path: Path, name: str) -> Path:
    """A git checkout whose HEAD has the schema as it is today."""
    schemas = tmp_path / "schemas" / "platform"
    schemas.mkdir(parents=True)
    (schemas / f"{name}.avsc").write_text(json.dumps(load_schema(name), indent=2))
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "contracts")
    return schemas


def test_incompatible_edit_since_git_head_fails(
    schema_registry: str, subject_prefix: str, tmp_path: Path
) -> None:
    schemas = _edited_copy(_committed_copy(tmp_path, "Label"), "Label", REQUIRED_FIELD)

    result = _check(
        schema_registry, "--subject-prefix", subject_prefix, "--schema-dir", str(schemas)
    )

    assert result.exit_code == 1, result.output
    assert "skip  Label.avsc vs registry subject" in result.output  # nothing registered
    assert "FAIL  Label.avsc is not BACKWARD compatible with git HEAD: " in result.output
    assert "(field tenant_id)" in result.output


def test_compatible_edit_since_git_head_passes(
    schema_registry: str, subject_prefix: str, tmp_path: Path
) -> None:
    schemas = _edited_copy(_committed_copy(tmp_path, "Label"), "Label", OPTIONAL_FIELD)

    result = _check(
        schema_registry, "--subject-prefix", subject_prefix, "--schema-dir", str(schemas)
    )

    assert result.exit_code == 0, result.output
    assert "ok    Label.avsc vs git HEAD: BACKWARD compatible" in result.output
