"""Value converters: one function per field that turns an input value into what Avro expects.

Two flavours: JSON values (HTTP, JSONL, Parquet's Python values) keep their type and must
already be the right one; text values (CSV cells) are parsed per the field's type. Both raise
`ValueProblem` with a message a user can act on; PII fields never echo their value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from streamops.events.errors import ValueProblem
from streamops.events.timestamps import UNITS, parse_iso, to_epoch

Converter = Callable[[Any], Any]

_LIMITS = {"int": 2**31, "long": 2**63}
#: The largest finite Avro float (IEEE 754 single precision); beyond it the writers store inf.
FLOAT_MAX = 3.4028234663852886e38
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})
_SHOWN_CHARS = 40
#: Epoch numbers as text: ASCII digits only (str.isdigit() also takes '²', which int()
#: refuses), at most 18 significant ones (always a long), ASCII blanks around.
EPOCH_TEXT = r"[ \t\n\r]*-?0*[0-9]{1,18}[ \t\n\r]*"
_EPOCH_TEXT = re.compile(EPOCH_TEXT)


def describe(kind: str, symbols: tuple[str, ...] = ()) -> str:
    """What a field of ``kind`` expects, in words: ``a number (double)``."""
    if kind in _LIMITS:
        return f"an integer ({kind})"
    if kind in ("float", "double"):
        return f"a number ({kind})"
    if kind in UNITS:
        unit = "millis" if kind == "timestamp-millis" else "micros"
        return f"a timestamp (epoch {unit} or ISO-8601)"
    if kind == "enum":
        return "one of " + ", ".join(symbols)
    return {"string": "a string", "boolean": "a boolean"}.get(kind, f"a value of type {kind}")


def shown(value: Any, hide: bool) -> str:
    """How a bad value appears in a message: its repr, or only its JSON type when hidden."""
    if hide:
        return _json_type(value) + " (value hidden: PII)"
    if isinstance(value, str):
        return repr(value if len(value) <= _SHOWN_CHARS else value[:_SHOWN_CHARS] + "…")
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "…"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def make_converter(
    kind: str, *, nullable: bool, symbols: tuple[str, ...] = (), hide: bool = False, text: bool
) -> Converter:
    """The converter of one field: ``kind`` is the Avro type (logical type for timestamps)."""
    expected = describe(kind, symbols) + (" or null" if nullable else "")

    def wrong(value: Any, reason: Any = "wrong_type") -> ValueProblem:
        return ValueProblem(reason, f"expected {expected}, got {shown(value, hide)}")

    if kind == "string":
        return _string(wrong, expected)
    if kind in _LIMITS:
        return _integer(wrong, kind, text=text, hide=hide)
    if kind in ("float", "double"):
        return _number(wrong, kind, text=text, hide=hide)
    if kind == "boolean":
        return _boolean(wrong, text=text)
    if kind == "enum":
        return _enum(wrong, frozenset(symbols))
    if kind in UNITS:
        return _timestamp(wrong, kind)
    return _passthrough(kind, hide) if text else _identity


def _identity(value: Any) -> Any:
    return value


def _string(wrong: Callable[..., ValueProblem], expected: str) -> Converter:
    def convert(value: Any) -> str:
        if not isinstance(value, str):
            raise wrong(value)
        if not (value.isascii() or _is_unicode(value)):
            raise ValueProblem(
                "wrong_type", f"expected {expected}, got text with a lone UTF-16 surrogate"
            )
        return value

    return convert


def _is_unicode(text: str) -> bool:
    """Whether ``text`` is Unicode text: JSON's ``"\\ud800"`` escapes a lone UTF-16 surrogate,
    which no UTF-8 writer (Avro, HMAC of a PII field) can encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _integer(wrong: Callable[..., ValueProblem], kind: str, *, text: bool, hide: bool) -> Converter:
    limit = _LIMITS[kind]

    def convert(value: Any) -> int:
        number: Any = value
        if text and isinstance(value, str):
            try:
                number = int(value)
            except ValueError:
                number = _float_or_none(value)
        if isinstance(number, float) and number.is_integer():
            number = int(number)
        if not isinstance(number, int) or isinstance(number, bool):
            raise wrong(value)
        if not -limit <= number < limit:
            raise ValueProblem(
                "out_of_range", f"{shown(value, hide)} does not fit {describe(kind)}"
            )
        return number

    return convert


def _number(wrong: Callable[..., ValueProblem], kind: str, *, text: bool, hide: bool) -> Converter:
    limit = FLOAT_MAX if kind == "float" else math.inf

    def convert(value: Any) -> float:
        number: Any = _float_or_none(value) if text and isinstance(value, str) else value
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise wrong(value)
        try:
            number = float(number)
        except OverflowError:
            raise wrong(value) from None
        if not math.isfinite(number):
            raise wrong(value)
        if abs(number) > limit:
            raise ValueProblem(
                "out_of_range", f"{shown(value, hide)} does not fit {describe(kind)} (±{limit:.7g})"
            )
        return float(number)

    return convert


def _float_or_none(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _boolean(wrong: Callable[..., ValueProblem], *, text: bool) -> Converter:
    def convert(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if text and isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in _TRUE or lowered in _FALSE:
                return lowered in _TRUE
        raise wrong(value)

    return convert


def _enum(wrong: Callable[..., ValueProblem], symbols: frozenset[str]) -> Converter:
    def convert(value: Any) -> str:
        if isinstance(value, str) and value in symbols:
            return value
        raise wrong(value, "enum_symbol" if isinstance(value, str) else "wrong_type")

    return convert


def _timestamp(wrong: Callable[..., ValueProblem], kind: str) -> Converter:
    unit = UNITS[kind]

    def convert(value: Any) -> int:
        if isinstance(value, bool):
            raise wrong(value, "bad_timestamp")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int):
            if not -(2**63) <= value < 2**63:
                raise wrong(value, "bad_timestamp")
            return value
        if isinstance(value, datetime):  # Parquet timestamps arrive as datetimes
            return to_epoch(value, unit)
        if isinstance(value, str):
            if _EPOCH_TEXT.fullmatch(value):
                return int(value)
            moment = parse_iso(value.strip())
            if moment is not None:
                return to_epoch(moment, unit)
        raise wrong(value, "bad_timestamp")

    return convert


def _passthrough(kind: str, hide: bool) -> Converter:
    """Text for a complex field (record, array, map, bytes ...) is read as JSON; fastavro then
    checks it against the schema."""

    def convert(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise ValueProblem(
                "wrong_type", f"expected JSON text for this {kind} field, got {shown(value, hide)}"
            ) from None

    return convert
