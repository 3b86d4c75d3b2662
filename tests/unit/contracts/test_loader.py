"""Finding and loading the platform schemas, and the errors a user sees when that fails."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from streamops.contracts import (
    SCHEMA_DIR,
    InvalidSchemaError,
    SchemaDirectoryNotFoundError,
    UnknownSchemaError,
    load_schema,
    loader,
    parsed_schema,
    platform_subject,
    schema_names,
)

REPO = Path(__file__).resolve().parents[3]
RECORD = {"type": "record", "name": "Thing", "namespace": "t", "fields": []}


def _write(directory: Path, name: str, schema: object) -> Path:
    path = directory / f"{name}.avsc"
    path.write_text(json.dumps(schema) if not isinstance(schema, str) else schema)
    return path


def test_checkout_schemas_are_the_source_of_truth() -> None:
    assert SCHEMA_DIR == REPO / "schemas" / "platform"
    assert "Alert" in schema_names()


def test_a_packaged_copy_wins_over_the_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, "Only", RECORD)
    monkeypatch.setattr(loader, "PACKAGED_SCHEMA_DIR", tmp_path)
    assert loader.find_schema_dir() == tmp_path


def test_missing_schema_directory_names_every_place_looked_at(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loader, "SCHEMA_DIR", tmp_path / "gone")
    monkeypatch.setattr(loader, "PACKAGED_SCHEMA_DIR", tmp_path / "gone")
    monkeypatch.setattr(loader, "CHECKOUT_SCHEMA_DIR", tmp_path / "also-gone")
    assert loader.find_schema_dir() == tmp_path / "gone"
    with pytest.raises(SchemaDirectoryNotFoundError, match=r"also-gone.*force-included"):
        load_schema("Alert")


def test_load_schema_gives_a_fresh_dict_each_time() -> None:
    first = load_schema("Alert")
    first["fields"].clear()
    assert load_schema("Alert")["fields"]


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(
        UnknownSchemaError, match=r"'alert'.*known: Alert, ControlRequest, DataQualityReport"
    ):
        load_schema("alert")
    with pytest.raises(LookupError):
        parsed_schema("NoSuchContract")


def test_names_cannot_escape_the_schema_directory() -> None:
    with pytest.raises(UnknownSchemaError):
        load_schema("../platform/Alert")


def test_invalid_json_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "Broken", '{"type": "record",')
    with pytest.raises(InvalidSchemaError, match=rf"{re.escape(str(path))}.*not valid JSON"):
        load_schema("Broken", tmp_path)


def test_invalid_avro_names_the_file(tmp_path: Path) -> None:
    bad = {**RECORD, "fields": [{"name": "a", "type": "no_such_type"}]}
    path = _write(tmp_path, "Thing", bad)
    expected = rf"{re.escape(str(path))}.*not a valid Avro schema"
    with pytest.raises(InvalidSchemaError, match=expected):
        parsed_schema("Thing", tmp_path)


def test_parsed_schema_is_cached_until_the_file_changes(tmp_path: Path) -> None:
    path = _write(tmp_path, "Thing", RECORD)
    first = parsed_schema("Thing", tmp_path)
    assert parsed_schema("Thing", tmp_path) is first
    _write(tmp_path, "Thing", {**RECORD, "fields": [{"name": "a", "type": "int"}]})
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert [f["name"] for f in parsed_schema("Thing", tmp_path)["fields"]] == ["a"]


def test_platform_subject_is_the_record_full_name() -> None:
    assert platform_subject(load_schema("Alert")) == "streamops.platform.Alert"
    assert platform_subject({"name": "a.b.C", "namespace": "x"}) == "a.b.C"
