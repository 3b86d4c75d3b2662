"""Checks of a spec against its event schema: every field it names exists and fits its rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streamops.pipeline.drift_spec import check_drift
from streamops.pipeline.model_spec import check_model
from streamops.pipeline.spec import PipelineSpec

Path = tuple[str | int, ...]
_NUMERIC = {"int", "long", "float", "double"}
_TEXT = {"string"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec: where (path of keys in the YAML) and what."""

    path: Path
    message: str


@dataclass(frozen=True)
class FieldType:
    """The Avro type of a record field, seen through ``["null", X]`` unions."""

    name: str  # int, long, float, double, string, boolean, bytes, enum, record, array, map ...
    nullable: bool
    has_default: bool
    logical: str | None = None
    symbols: tuple[str, ...] = ()


def field_types(schema: dict[str, Any]) -> dict[str, FieldType]:
    """The top-level fields of a record schema and their types."""
    return {f["name"]: _field_type(f) for f in schema.get("fields", [])}


def _field_type(field: dict[str, Any]) -> FieldType:
    declared = field["type"]
    members = declared if isinstance(declared, list) else [declared]
    nullable = "null" in members
    rest = [m for m in members if m != "null"]
    base: Any = rest[0] if len(rest) == 1 else ("union" if rest else "null")
    if isinstance(base, dict):
        return FieldType(
            base["type"],
            nullable,
            "default" in field,
            base.get("logicalType"),
            tuple(base.get("symbols", ())),
        )
    return FieldType(base, nullable, "default" in field)


def check_spec(spec: PipelineSpec, schema: dict[str, Any]) -> list[Problem]:
    """Everything in ``spec`` that does not fit ``schema`` (the event record schema)."""
    types = field_types(schema)
    problems: list[Problem] = []

    def need(path: Path, name: str) -> FieldType | None:
        if name not in types:
            problems.append(
                Problem(
                    path,
                    f"no field {name!r} in the event schema (it has: {', '.join(sorted(types))})",
                )
            )
            return None
        return types[name]

    event = spec.event
    for key in ("id_field", "key_field"):
        found = need(("event", key), getattr(event, key))
        if found and found.name not in _TEXT:
            problems.append(Problem(("event", key), f"must be a string field, not {found.name}"))
    time = need(("event", "time_field"), event.time_field)
    if time and not (time.name == "long" and time.logical in ("timestamp-millis", None)):
        problems.append(
            Problem(("event", "time_field"), "must be a long with logicalType timestamp-millis")
        )
    if spec.labels:
        need(("labels", "join_key"), spec.labels.join_key)

    for name, rules in spec.expectations.fields.items():
        path: Path = ("expectations", "fields", name)
        found = need(path, name)
        if found is not None:
            problems += _check_rules(path, found, rules.model_dump(exclude_none=True))
    window = spec.expectations.window
    if window:
        for name in window.null_rate:
            need(("expectations", "window", "null_rate", name), name)
        for i, name in enumerate(window.unique):
            need(("expectations", "window", "unique", i), name)

    if spec.features:
        for i, aggregate in enumerate(spec.features.aggregates):
            if aggregate.field is None:
                continue
            path = ("features", "aggregates", i)
            found = need(path, aggregate.field)
            if found is None:
                continue
            if aggregate.numeric and found.name not in _NUMERIC:
                problems.append(
                    Problem(path, f"{aggregate.function} needs a number field, not {found.name}")
                )
            elif found.name in ("record", "array", "map", "union", "bytes", "fixed"):
                problems.append(Problem(path, f"distinct needs a scalar field, not {found.name}"))
        for i, name in enumerate(spec.features.passthrough):
            path = ("features", "passthrough", i)
            found = need(path, name)
            if found is not None and found.name not in _NUMERIC | _TEXT | {"enum"}:
                problems.append(
                    Problem(path, f"passthrough takes number or string fields, not {found.name}")
                )
            if name in _features_record_fields(spec):
                problems.append(Problem(path, f"every features record has a field {name!r}"))
        read = [a.field for a in spec.features.aggregates if a.field]
        dropped = {*read, *spec.features.passthrough} & {
            n for n, t in spec.pii.fields.items() if t == "drop"
        }
        if dropped:
            problems.append(
                Problem(
                    ("features",),
                    f"{sorted(dropped)} are dropped by pii: no event carries them",
                )
            )

    for name, treatment in spec.pii.fields.items():
        path = ("pii", "fields", name)
        found = need(path, name)
        if found is None:
            continue
        if treatment == "drop" and not (found.nullable or found.has_default):
            problems.append(
                Problem(
                    path,
                    "a dropped field must be nullable or have a default "
                    "in the schema, or events could not be written",
                )
            )
        if treatment in ("salted_hash", "mask") and found.name not in _TEXT:
            problems.append(Problem(path, f"{treatment} needs a string field, not {found.name}"))
    if name_clash := {event.id_field, event.key_field, event.time_field} & set(spec.pii.fields):
        problems.append(
            Problem(
                ("pii", "fields"),
                f"{sorted(name_clash)} are the event's id, "
                "key or time: they cannot be treated as PII",
            )
        )
    if not problems:  # feature names can only be derived from a spec that fits its schema
        names = _feature_names(spec, schema)
        problems += [Problem(path, message) for path, message in check_model(spec, names)]
        problems += [Problem(path, message) for path, message in check_drift(spec, names)]
    return problems


def _feature_names(spec: PipelineSpec, schema: dict[str, Any]) -> list[str] | None:
    """The names of the spec's features, None without a features section."""
    if spec.features is None:
        return None
    # the features package imports this one, and loading imports checks
    from pathlib import Path as FilePath

    from streamops.features.definition import feature_set
    from streamops.pipeline.loading import Pipeline

    return feature_set(Pipeline(spec, schema, FilePath())).names


def _check_rules(path: Path, found: FieldType, rules: dict[str, Any]) -> list[Problem]:
    problems = []
    if "range" in rules and found.name not in _NUMERIC:
        problems.append(Problem((*path, "range"), f"range needs a number field, not {found.name}"))
    for rule in ("regex", "max_length"):
        if rule in rules and found.name not in _TEXT:
            problems.append(
                Problem((*path, rule), f"{rule} needs a string field, not {found.name}")
            )
    for i, value in enumerate(rules.get("allowed", [])):
        if not _fits(found, value):
            problems.append(
                Problem(
                    (*path, "allowed", i),
                    f"{value!r} can never be a value of this {found.name} field",
                )
            )
    return problems


def _fits(found: FieldType, value: Any) -> bool:
    if found.name == "enum":
        return value in found.symbols
    if found.name in _TEXT:
        return isinstance(value, str)
    if found.name == "boolean":
        return isinstance(value, bool)
    if found.name in _NUMERIC:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return True


def _features_record_fields(spec: PipelineSpec) -> set[str]:
    """The fields a features record carries besides the feature values."""
    from streamops.features.definition import RECORD_FIELDS  # the features package imports us

    join = spec.labels.join_key if spec.labels else None
    return {*RECORD_FIELDS, *([join] if join and join != spec.event.id_field else [])}
