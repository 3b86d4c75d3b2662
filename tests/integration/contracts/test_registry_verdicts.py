"""The registry enforces Avro's BACKWARD rules (reader = new schema, writer = old schema).

This is the evidence that `streamops schemas check` may rely on the registry instead of
its own schema-resolution code: the classic breaking and non-breaking changes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from streamops.contracts.compat import RegistryCompatibility
from tests.support.confluent import registry_client

WINDOW = {"type": "record", "name": "Window", "fields": [{"name": "start", "type": "long"}]}
KIND = {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}
OLD: dict[str, Any] = {
    "type": "record",
    "name": "Probe",
    "namespace": "streamops.test",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "count", "type": "int"},
        {"name": "kind", "type": KIND},
        {"name": "window", "type": WINDOW},
    ],
}


def _with(**types: Any) -> dict[str, Any]:
    new = json.loads(json.dumps(OLD))
    for field in new["fields"]:
        field["type"] = types.get(field["name"], field["type"])
    return new


def _adding(field: dict[str, Any]) -> dict[str, Any]:
    return {**OLD, "fields": [*OLD["fields"], field]}


@pytest.mark.parametrize(
    ("change", "new", "compatible", "named"),
    [
        ("nothing", OLD, True, ""),
        ("new field with default", _adding({"name": "x", "type": "int", "default": 0}), True, ""),
        ("new field without default", _adding({"name": "x", "type": "int"}), False, "field x"),
        ("removed field", {**OLD, "fields": OLD["fields"][1:]}, True, ""),
        ("string to int", _with(id="int"), False, "field id"),
        ("int widened to long", _with(count="long"), True, ""),
        ("long narrowed to int", None, False, ""),
        ("int made nullable", _with(count=["null", "int"]), True, ""),
        ("enum symbol added", _with(kind={**KIND, "symbols": ["A", "B", "C"]}), True, ""),
        ("enum symbol removed", _with(kind={**KIND, "symbols": ["A"]}), False, "field kind"),
        (
            "enum symbol removed, default kept",
            _with(kind={**KIND, "symbols": ["A", "Z"], "default": "Z"}),
            True,
            "",
        ),
        (
            "nested field without default",
            _with(
                window={**WINDOW, "fields": [*WINDOW["fields"], {"name": "end", "type": "long"}]}
            ),
            False,
            "field window.end",
        ),
        ("record renamed", {**OLD, "name": "Renamed"}, False, ""),
    ],
)
def test_registry_verdict(
    schema_registry: str,
    subject_prefix: str,
    change: str,
    new: dict[str, Any] | None,
    compatible: bool,
    named: str,
) -> None:
    old = OLD
    if new is None:  # the reverse of "int widened to long"
        old, new = _with(count="long"), OLD
    checker = RegistryCompatibility(registry_client(schema_registry), schema_registry)

    verdict = checker.backward_compatible(
        json.dumps(old), json.dumps(new), f"{subject_prefix}probe"
    )

    assert verdict.compatible is compatible, (change, verdict.detail)
    assert (verdict.detail == "") is compatible
    assert named in verdict.detail
