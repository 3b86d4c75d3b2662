"""Hypothesis strategies: Avro schemas of every type the native codec compiles, and values.

Values include what the writer must decline as well as what it must write: naive and
non-UTC datetimes, ints for double fields, datetimes for date fields, out-of-range ints.
"""

from __future__ import annotations

import itertools
import struct
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

PRIMITIVES = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]
LOGICAL = [
    {"type": "long", "logicalType": "timestamp-millis"},
    {"type": "long", "logicalType": "timestamp-micros"},
    {"type": "int", "logicalType": "date"},
    {"type": "string", "logicalType": "uuid"},
    {"type": "long", "logicalType": "no-such-logical-type"},  # read and written as its base
]
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)

_leaves = st.sampled_from(PRIMITIVES) | st.sampled_from(LOGICAL)


def _named(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    if kind == "enum":
        symbols = st.lists(st.sampled_from("ABCDEFGH"), min_size=1, max_size=5, unique=True)
        return st.builds(lambda s: {"type": "enum", "name": "?", "symbols": s}, symbols)
    return st.builds(
        lambda n: {"type": "fixed", "name": "?", "size": n}, st.integers(min_value=0, max_value=6)
    )


def _branch_key(schema: Any) -> str:
    """Avro allows one branch per type, except named types (all named uniquely here)."""
    if isinstance(schema, str):
        return schema
    if schema["type"] in ("record", "enum", "fixed"):
        return f"named-{id(schema)}"
    return str(schema["type"])


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    non_union = children.filter(lambda s: not isinstance(s, list))
    record = st.lists(children, min_size=0, max_size=5).map(
        lambda types: {
            "type": "record",
            "name": "?",
            "fields": [{"name": f"f{i}", "type": t} for i, t in enumerate(types)],
        }
    )
    union = st.lists(non_union, min_size=1, max_size=4, unique_by=_branch_key)
    return st.one_of(
        record,
        st.builds(lambda t: {"type": "array", "items": t}, children),
        st.builds(lambda t: {"type": "map", "values": t}, children),
        union,
    )


def _name_all(schema: Any, counter: itertools.count[int]) -> Any:
    """Give every named type a unique name (the strategies leave '?')."""
    if isinstance(schema, list):
        return [_name_all(s, counter) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    if out.get("name") == "?":
        out["name"] = f"T{next(counter)}"
    if "fields" in out:
        out["fields"] = [{**f, "type": _name_all(f["type"], counter)} for f in out["fields"]]
    for key in ("items", "values"):
        if key in out:
            out[key] = _name_all(out[key], counter)
    return out


def nullable_only(schema: Any) -> bool:
    """Every union is a value or null (``["null", X]``), the shape records mostly have."""
    if isinstance(schema, list):
        return len([b for b in schema if b != "null"]) <= 1 and all(map(nullable_only, schema))
    if not isinstance(schema, dict):
        return True
    parts = [f["type"] for f in schema.get("fields", [])]
    parts += [schema[k] for k in ("items", "values") if k in schema]
    return all(map(nullable_only, parts))


def schemas() -> st.SearchStrategy[Any]:
    """Any schema: records, unions, arrays, maps, enums, fixed, primitives, logical types."""
    leaves = _leaves | _named("enum") | _named("fixed")
    tree = st.recursive(leaves, _extend, max_leaves=12)
    return tree.map(lambda s: _name_all(s, itertools.count()))


_zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
)
_aware = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=_zones
)
_texts = st.text(max_size=12)


def _int_values(bounds: tuple[int, int]) -> st.SearchStrategy[Any]:
    edges = st.sampled_from([bounds[0], bounds[1], 0, -1, 1, 2**31, -(2**31) - 1])
    return st.integers(*bounds) | edges


def values(schema: Any, named: dict[str, Any] | None = None) -> st.SearchStrategy[Any]:
    """Values for ``schema`` (as written in JSON, named types defined before their use)."""
    named = {} if named is None else named
    if isinstance(schema, list):
        return st.one_of([values(s, named) for s in schema])
    if isinstance(schema, str):
        if schema in named:
            return values(named[schema], named)
        return {
            "null": st.none(),
            "boolean": st.booleans(),
            "int": _int_values(INT32),
            "long": _int_values(INT64),
            "float": st.floats(width=32) | st.integers(-(2**24), 2**24),
            "double": st.floats() | st.integers(*INT64),
            "bytes": st.binary(max_size=12),
            "string": _texts,
        }[schema]
    kind, logical = schema["type"], schema.get("logicalType")
    if kind in ("record", "enum", "fixed"):
        named[schema["name"]] = schema
    if logical in ("timestamp-millis", "timestamp-micros"):
        naive = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1))
        return _aware | naive | st.integers(-(2**50), 2**50)
    if logical == "date":
        return st.dates() | st.integers(-719_162, 2_932_896) | st.datetimes().map(lambda d: d)
    if logical == "uuid":
        return st.uuids() | st.uuids().map(str)
    if kind == "record":
        return st.fixed_dictionaries(
            {f["name"]: values(f["type"], named) for f in schema["fields"]}
        )
    if kind == "enum":
        return st.sampled_from(schema["symbols"])
    if kind == "fixed":
        return st.binary(min_size=schema["size"], max_size=schema["size"])
    if kind == "array":
        return st.lists(values(schema["items"], named), max_size=4)
    if kind == "map":
        return st.dictionaries(_texts, values(schema["values"], named), max_size=4)
    return values(kind, named)


def same(a: Any, b: Any) -> bool:
    """The same types and values all the way down: True is not 1, -0.0 is not 0.0, a NaN is
    the same NaN bit for bit, and a datetime has the very same tzinfo object."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, datetime):
        return bool(a == b and a.tzinfo is b.tzinfo)
    return bool(a == b)
