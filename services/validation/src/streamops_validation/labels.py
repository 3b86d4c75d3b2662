"""Label checks: a platform Label (schemas/platform/Label.avsc) is data, and is checked.

Labels are decoded with the schema they were written with, so a producer that used
another schema shows here as missing or mistyped fields (rule ``label_schema``); the other
checks run only on a record of the Label's shape. Each failing check is one `Reason`:

- ``label_pipeline``: ``pipeline`` is the spec's name;
- ``label_join_key``: ``event_id`` and ``entity_key`` are not empty;
- ``label_key``: the Kafka key is the entity key, so that the label shares its partition
  with its entity's events, features and predictions (labels.valid keeps the key);
- ``label_value``: the value fits the spec's ``labels.kind`` (binary: 0.0 or 1.0;
  multiclass: a class name, one of ``classes`` when given; regression: a finite number);
- ``label_time``: ``label_time`` is not before ``event_time``.

Pure: no Kafka, no state, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from streamops.features import event_time_ms, utc_datetime
from streamops.pipeline import LabelSpec, PipelineSpec
from streamops.runtime import Reason
from streamops_validation.rules import value_text

# field -> (accepted Python types of the decoded value, the Avro type for messages)
_SHAPE: dict[str, tuple[tuple[type, ...], str]] = {
    "pipeline": ((str,), "string"),
    "event_id": ((str,), "string"),
    "entity_key": ((str,), "string"),
    "value": ((float, str), "double or string"),
    # timestamp-millis reads back as an aware datetime; a plain long is taken as millis
    "event_time": ((datetime, int), "timestamp-millis"),
    "label_time": ((datetime, int), "timestamp-millis"),
}
_OPTIONAL: dict[str, tuple[tuple[type, ...], str]] = {
    "source": ((str, type(None)), "null or string"),
}


class LabelChecks:
    """The checks of one pipeline's labels, compiled from its spec's ``labels`` section."""

    def __init__(self, pipeline: str, spec: LabelSpec) -> None:
        self.pipeline = pipeline
        self.kind = spec.kind
        self.classes = frozenset(spec.classes) if spec.classes is not None else None

    def check(self, label: Any, key: bytes | None) -> list[Reason]:
        """Every reason ``label`` (a decoded record, keyed ``key``) is not a good label."""
        shape = _shape(label)
        if shape:
            return shape
        reasons = []
        if label["pipeline"] != self.pipeline:
            reasons.append(
                Reason(
                    "label_pipeline",
                    f"the label is for pipeline {label['pipeline']!r}, not {self.pipeline!r}",
                    field="pipeline",
                    value=value_text(label["pipeline"]),
                )
            )
        reasons += _join_keys(label)
        reasons += _record_key(label["entity_key"], key)
        problem = self._value_problem(label["value"])
        if problem is not None:
            reasons.append(
                Reason("label_value", problem, field="value", value=value_text(label["value"]))
            )
        event_ms, label_ms = event_time_ms(label["event_time"]), event_time_ms(label["label_time"])
        if label_ms < event_ms:
            reasons.append(
                Reason(
                    "label_time",
                    f"label_time is {event_ms - label_ms} ms before event_time: a label cannot "
                    "be known before its event happened",
                    field="label_time",
                    value=utc_datetime(label_ms).isoformat(),
                )
            )
        return reasons

    def _value_problem(self, value: float | str) -> str | None:
        """Why ``value`` does not fit the spec's label kind, or None."""
        if self.kind == "binary":
            if isinstance(value, float) and value in (0.0, 1.0):
                return None
            return f"a binary label is 1.0 (positive) or 0.0, not {_typed(value)}"
        if self.kind == "multiclass":
            if not isinstance(value, str) or not value:
                return f"a multiclass label is a class name (a string), not {_typed(value)}"
            if self.classes is not None and value not in self.classes:
                return f"class {value!r} is not one of the spec's classes {sorted(self.classes)}"
            return None
        if isinstance(value, float) and math.isfinite(value):
            return None
        return f"a regression label is a finite number, not {_typed(value)}"


def label_checks(spec: PipelineSpec) -> LabelChecks | None:
    """The label checks of ``spec``; None when it has no ``labels`` section (none consumed)."""
    return LabelChecks(spec.name, spec.labels) if spec.labels is not None else None


def _join_keys(label: Mapping[str, Any]) -> list[Reason]:
    """Reasons the label cannot be joined: an empty event_id or entity_key."""
    return [
        Reason(
            "label_join_key",
            f"{name} is empty: the label cannot be joined to its event",
            field=name,
            value=value_text(label[name]),
        )
        for name in ("event_id", "entity_key")
        if not label[name].strip()
    ]


def _record_key(entity_key: str, key: bytes | None) -> list[Reason]:
    """A reason if the Kafka key is not the entity key (the label is in the wrong partition)."""
    if key is not None and key == entity_key.encode():
        return []
    shown = None if key is None else value_text(key.decode(errors="replace"))
    said = "the record has no key" if key is None else f"the record key is {shown!r}"
    return [
        Reason(
            "label_key",
            f"{said}, not the entity key {entity_key!r}: keyed otherwise, the label is not "
            "in the partition of its entity's events",
            field="entity_key",
            value=shown,
        )
    ]


def _shape(label: Any) -> list[Reason]:
    """Reasons ``label`` is not shaped like a Label record (wrong writer schema)."""
    if not isinstance(label, Mapping):
        return [
            Reason(
                "label_schema",
                f"a label is a Label record, not a {type(label).__name__}",
                value=value_text(label),
            )
        ]
    reasons = []
    for name, (types, avro) in (_SHAPE | _OPTIONAL).items():
        if name not in label:
            if name in _OPTIONAL:
                continue
            reasons.append(Reason("label_schema", f"{name} is missing", field=name))
        # bool is an int in Python, but never a timestamp or a double
        elif not isinstance(label[name], types) or isinstance(label[name], bool):
            reasons.append(
                Reason(
                    "label_schema",
                    f"{name} is {_typed(label[name])}, not a {avro}",
                    field=name,
                    value=value_text(label[name]),
                )
            )
    return reasons


def _typed(value: Any) -> str:
    """A value with its type, for messages: ``string '1'``, ``double nan``."""
    names = {str: "string", float: "double", int: "long", bool: "boolean", type(None): "null"}
    return f"{names.get(type(value), type(value).__name__)} {value!r}"
