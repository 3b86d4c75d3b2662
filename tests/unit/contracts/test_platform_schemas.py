"""The platform contracts follow the conventions that keep them evolvable, and work in fastavro."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import fastavro
import pytest

from streamops.contracts import load_schema, parsed_schema, schema_names
from tests.unit.contracts.examples import EXAMPLES

PLATFORM = [
    "Alert",
    "ControlRequest",
    "DataQualityReport",
    "DeadLetter",
    "Deployment",
    "Label",
    "ModelChunk",
    "ModelVersion",
    "MonitoringPartial",
    "Prediction",
    "TrainingRun",
]


def _named_types(schema: Any) -> Iterator[dict[str, Any]]:
    """Every record and enum defined anywhere inside ``schema``."""
    if isinstance(schema, list):
        for branch in schema:
            yield from _named_types(branch)
    elif isinstance(schema, dict):
        if schema.get("type") in ("record", "enum"):
            yield schema
        for field in schema.get("fields", []):
            yield from _named_types(field["type"])
        for key in ("items", "values"):
            if key in schema:
                yield from _named_types(schema[key])


def _fields(name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for record in _named_types(load_schema(name)):
        for field in record.get("fields", []):
            yield f"{record['name']}.{field['name']}", field


def _roundtrip(name: str, record: object) -> Any:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, parsed_schema(name), record)
    buffer.seek(0)
    return fastavro.schemaless_reader(buffer, parsed_schema(name), parsed_schema(name))


def test_every_platform_contract_is_there() -> None:
    assert schema_names() == PLATFORM


@pytest.mark.parametrize("name", PLATFORM)
def test_file_name_is_the_record_name_in_the_platform_namespace(name: str) -> None:
    schema = load_schema(name)
    assert (schema["type"], schema["name"], schema["namespace"]) == (
        "record",
        name,
        "streamops.platform",
    )
    assert schema["doc"]


@pytest.mark.parametrize("name", PLATFORM)
def test_enums_have_a_default_symbol_so_new_symbols_stay_readable(name: str) -> None:
    enums = [t for t in _named_types(load_schema(name)) if t["type"] == "enum"]
    assert enums or name in ("Label", "DataQualityReport", "ModelChunk", "MonitoringPartial")
    for enum in enums:
        assert enum.get("default") in enum["symbols"], enum["name"]
        assert enum.get("doc"), f"enum {enum['name']} needs a doc saying what its symbols mean"


@pytest.mark.parametrize("name", PLATFORM)
def test_nullable_fields_default_to_null(name: str) -> None:
    for path, field in _fields(name):
        if isinstance(field["type"], list) and "null" in field["type"]:
            assert field["type"][0] == "null", f"{path}: put null first so null can be the default"
            assert "default" in field and field["default"] is None, f"{path} needs default null"


@pytest.mark.parametrize("name", PLATFORM)
def test_times_are_timestamp_millis(name: str) -> None:
    for path, field in _fields(name):
        if path.endswith(("_at", "_time", ".start", ".end", "_timestamp")):
            types = field["type"] if isinstance(field["type"], list) else [field["type"]]
            logical = [t.get("logicalType") for t in types if isinstance(t, dict)]
            assert logical == ["timestamp-millis"], f"{path} should be timestamp-millis"


def test_shared_named_types_have_one_definition() -> None:
    seen: dict[str, dict[str, Any]] = {}
    for name in PLATFORM:
        for named in _named_types(load_schema(name)):
            assert seen.setdefault(named["name"], named) == named, named["name"]
    assert "Window" in seen  # shared by Alert and DataQualityReport
    assert "GateResult" in seen  # shared by Deployment and TrainingRun
    assert "OffsetRange" in seen  # shared by ModelVersion and TrainingRun


@pytest.mark.parametrize("name", PLATFORM)
def test_example_round_trips_through_fastavro(name: str) -> None:
    assert _roundtrip(name, EXAMPLES[name]) == EXAMPLES[name]


@pytest.mark.parametrize("name", PLATFORM)
def test_fields_with_defaults_may_be_left_out_by_producers(name: str) -> None:
    schema = load_schema(name)
    example = dict(EXAMPLES[name])  # type: ignore[call-overload]
    defaulted = [f["name"] for f in schema["fields"] if "default" in f]
    minimal = {key: value for key, value in example.items() if key not in defaulted}
    read = _roundtrip(name, minimal)
    assert read == {
        **minimal,
        **{f["name"]: f["default"] for f in schema["fields"] if "default" in f},
    }


def test_model_version_carries_the_onnx_bytes_unchanged() -> None:
    read = _roundtrip("ModelVersion", EXAMPLES["ModelVersion"])
    assert isinstance(read["onnx_model"], bytes)
    assert read["onnx_model"] == EXAMPLES["ModelVersion"]["onnx_model"]  # type: ignore[index]


def test_unknown_enum_symbol_from_a_newer_writer_reads_as_the_default() -> None:
    newer = load_schema("Alert")
    kind = newer["fields"][2]["type"]
    kind["symbols"] = [*kind["symbols"], "FRESHNESS"]
    record = {**EXAMPLES["Alert"], "kind": "FRESHNESS"}  # type: ignore[dict-item]
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(newer), record)
    buffer.seek(0)
    read = fastavro.schemaless_reader(buffer, fastavro.parse_schema(newer), parsed_schema("Alert"))
    assert read["kind"] == "UNKNOWN"


def test_model_version_written_before_chunking_reads_with_its_bytes_inline() -> None:
    """The shape of ModelVersion before run ids and chunks: bytes required, no new fields."""
    old = load_schema("ModelVersion")
    new_fields = {"onnx_chunks", "onnx_size_bytes", "run_id", "schema_ids"}
    old["fields"] = [f for f in old["fields"] if f["name"] not in new_fields]
    onnx_model = next(f for f in old["fields"] if f["name"] == "onnx_model")
    onnx_model["type"] = "bytes"
    del onnx_model["default"]
    record = {k: v for k, v in EXAMPLES["ModelVersion"].items() if k not in new_fields}  # type: ignore[attr-defined]
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(old), record)
    buffer.seek(0)
    read = fastavro.schemaless_reader(
        buffer, fastavro.parse_schema(old), parsed_schema("ModelVersion")
    )
    assert read["onnx_model"] == record["onnx_model"]
    assert (read["onnx_chunks"], read["onnx_size_bytes"]) == (0, 0)
    assert (read["run_id"], read["schema_ids"]) == (None, {})


def test_deployment_written_before_event_times_reads_without_one() -> None:
    """A Deployment of a writer before ``event_time``: read as null, so its probation
    falls back to the version's training window (streamops_training.probation)."""
    old = load_schema("Deployment")
    old["fields"] = [f for f in old["fields"] if f["name"] != "event_time"]
    record = {k: v for k, v in EXAMPLES["Deployment"].items() if k != "event_time"}  # type: ignore[attr-defined]
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(old), record)
    buffer.seek(0)
    read = fastavro.schemaless_reader(
        buffer, fastavro.parse_schema(old), parsed_schema("Deployment")
    )
    assert read["event_time"] is None
    assert read["decided_at"] == record["decided_at"]
