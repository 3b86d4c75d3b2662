"""The JSON Schema of an event as the HTTP API takes it, derived from the Avro event schema.

It says what `streamops.events.prepare.RecordPreparer` accepts from JSON (ingestion's API and
serving's REST predict body), no more, no less: the
schema's fields and no others; the fields a client must send (neither nullable nor
defaulted, nor stamped by ingestion); per field the JSON type, the range of Avro ints,
longs and floats, enum symbols, and for timestamps epoch numbers, digit strings or
ISO-8601 date-times. Fields the converters pass through to the Avro writer (records,
arrays, maps, named references, multi-type unions) are described by their Avro type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streamops.events.convert import EPOCH_TEXT, FLOAT_MAX
from streamops.events.fields import EventField, event_fields
from streamops.events.prepare import INGEST_TIME_FIELD, SOURCE_FIELD
from streamops.events.timestamps import UNITS
from streamops.pipeline import Pipeline

JsonSchema = dict[str, Any]

_INT32 = {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1}
_INT64 = {"type": "integer", "format": "int64", "minimum": -(2**63), "maximum": 2**63 - 1}
_DOUBLE_MAX = 1.7976931348623157e308
_PRIMITIVES: dict[str, JsonSchema] = {
    "null": {"type": "null"},
    "boolean": {"type": "boolean"},
    "int": _INT32,
    "long": _INT64,
    "float": {"type": "number", "format": "float", "minimum": -FLOAT_MAX, "maximum": FLOAT_MAX},
    "double": {
        "type": "number",
        "format": "double",
        "minimum": -_DOUBLE_MAX,
        "maximum": _DOUBLE_MAX,
    },
    "string": {"type": "string"},
    # Avro bytes are Python bytes; JSON has no such value, so nothing sent fits
    "bytes": {"not": {}, "description": "Avro bytes: cannot be sent as JSON."},
}
_TIMESTAMP_FORMS = [
    _INT64,
    {"type": "string", "pattern": f"^{EPOCH_TEXT}$"},
    {"type": "string", "format": "date-time"},
]
_TIMESTAMP_TEXT = (
    "Epoch {unit}: a number, or up to 18 digits in a string; or an ISO-8601 date-time. "
    "Other ISO-8601 forms Python's datetime.fromisoformat reads are taken too; without an "
    "offset they are UTC."
)


def event_json_schema(pipeline: Pipeline) -> JsonSchema:
    """The JSON Schema of one event of ``pipeline`` in a request body."""
    schema = pipeline.event_schema
    fields = event_fields(schema)
    declared = {f["name"]: f["type"] for f in schema.get("fields", [])}
    stamped = _stamped(fields, pipeline.spec.event.id_field)
    names: dict[str, Any] = {}
    avro_json_schema(schema, names)  # every named type, so that later fields can refer to it
    properties = {}
    for name, field in fields.items():
        value = _value_schema(field, declared[name], names)
        if field.nullable or name in stamped:
            value = {"anyOf": [value, {"type": "null"}]}
        if name in stamped:
            value["description"] = "Stamped by ingestion when absent or null."
        properties[name] = value
    required = [name for name, f in fields.items() if f.required and name not in stamped]
    return {
        "type": "object",
        "title": str(schema.get("name", "Event")),
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _stamped(fields: Mapping[str, EventField], id_field: str) -> frozenset[str]:
    """The fields ingestion fills in when absent or null (as `RecordPreparer` does)."""
    names = {id_field}
    ingest_time = fields.get(INGEST_TIME_FIELD)
    if ingest_time is not None and ingest_time.kind in UNITS:
        names.add(INGEST_TIME_FIELD)
    source = fields.get(SOURCE_FIELD)
    if source is not None and source.kind == "string":
        names.add(SOURCE_FIELD)
    return frozenset(names)


def _value_schema(field: EventField, declared: Any, names: dict[str, Any]) -> JsonSchema:
    """A non-null value of ``field``: as its converter takes it, or as the Avro writer does."""
    if field.kind in UNITS:
        unit = "milliseconds" if field.kind == "timestamp-millis" else "microseconds"
        return {"anyOf": _TIMESTAMP_FORMS, "description": _TIMESTAMP_TEXT.format(unit=unit)}
    if field.kind == "enum":
        return {"type": "string", "enum": list(field.symbols)}
    if field.kind in _PRIMITIVES and field.kind not in ("null", "bytes"):
        return dict(_PRIMITIVES[field.kind])
    members = declared if isinstance(declared, list) else [declared]
    rest = [m for m in members if m != "null"]
    return avro_json_schema(rest[0] if len(rest) == 1 else rest, names)


def avro_json_schema(
    avro: Any, names: dict[str, Any], defining: frozenset[str] = frozenset()
) -> JsonSchema:
    """The JSON values the Avro writer takes for type ``avro``; ``names`` collects the named
    types met so far (records, enums, fixed), so that later references resolve."""
    if isinstance(avro, list):
        return {"anyOf": [avro_json_schema(m, names, defining) for m in avro]}
    if isinstance(avro, str):
        if avro in _PRIMITIVES:
            return dict(_PRIMITIVES[avro])
        if avro in names and avro not in defining:
            return avro_json_schema(names[avro], names, defining | {avro})
        return {}  # a recursive reference: any JSON here, the writer decides
    kind = avro.get("type")
    if kind in ("record", "error", "enum", "fixed"):
        name = str(avro.get("name", ""))
        full = name if "." in name or not avro.get("namespace") else f"{avro['namespace']}.{name}"
        names[name] = names[full] = avro
        defining = defining | {name, full}
    if kind in ("record", "error"):
        fields = avro.get("fields", [])
        return {
            "type": "object",
            "properties": {f["name"]: avro_json_schema(f["type"], names, defining) for f in fields},
            # the writer fills a missing field with its default, or null where null fits
            "required": [f["name"] for f in fields if "default" not in f and not _nullable(f)],
        }
    if kind == "enum":
        return {"type": "string", "enum": list(avro.get("symbols", []))}
    if kind == "array":
        return {"type": "array", "items": avro_json_schema(avro["items"], names, defining)}
    if kind == "map":
        return {
            "type": "object",
            "additionalProperties": avro_json_schema(avro["values"], names, defining),
        }
    if kind == "fixed" or avro.get("logicalType") == "decimal":
        return dict(_PRIMITIVES["bytes"])
    return avro_json_schema(kind, names, defining)


def _nullable(field: Mapping[str, Any]) -> bool:
    declared = field["type"]
    return declared == "null" or (isinstance(declared, list) and "null" in declared)
