"""The event schema's top-level fields as preparation sees them: kind, nullability, default."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from streamops.events.convert import Converter, describe, make_converter
from streamops.events.timestamps import UNITS
from streamops.pipeline import field_types

_MISSING: Any = object()


@dataclass(frozen=True)
class EventField:
    """One field of the event record and its two converters (JSON values, text values)."""

    name: str
    kind: str  # Avro type name, or the logical type for timestamps
    nullable: bool
    required: bool  # neither nullable nor with a default: the input must carry it
    default: Any
    symbols: tuple[str, ...]
    from_json: Converter
    from_text: Converter

    @property
    def expected(self) -> str:
        """What the field takes, in words (for missing-field messages)."""
        return describe(self.kind, self.symbols) + (" or null" if self.nullable else "")

    def default_value(self) -> Any:
        """The schema default (a fresh copy: defaults may be lists or maps), else None."""
        return None if self.default is _MISSING else copy.deepcopy(self.default)


def event_fields(
    schema: dict[str, Any], hidden: frozenset[str] = frozenset()
) -> dict[str, EventField]:
    """The fields of a record schema in order; values of ``hidden`` (PII) never show in errors."""
    types = field_types(schema)
    defaults = {f["name"]: f.get("default", _MISSING) for f in schema.get("fields", [])}
    fields = {}
    for name, found in types.items():
        kind = found.logical if found.logical in UNITS and found.name == "long" else found.name
        hide = name in hidden
        fields[name] = EventField(
            name=name,
            kind=kind,
            nullable=found.nullable,
            required=not found.nullable and not found.has_default,
            default=defaults[name],
            symbols=found.symbols,
            from_json=make_converter(
                kind, nullable=found.nullable, symbols=found.symbols, hide=hide, text=False
            ),
            from_text=make_converter(
                kind, nullable=found.nullable, symbols=found.symbols, hide=hide, text=True
            ),
        )
    return fields
