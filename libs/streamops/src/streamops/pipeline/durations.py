"""Durations written the way people write them in a spec: 90s, 15m, 2h, 3d, 1w."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

_UNITS = {
    "ms": "milliseconds",
    "s": "seconds",
    "m": "minutes",
    "h": "hours",
    "d": "days",
    "w": "weeks",
}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")


def parse_duration(value: Any) -> timedelta:
    """``"3d"`` → 3 days; also accepts timedelta and plain seconds (int/float)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    if isinstance(value, str) and (match := _DURATION.match(value)):
        return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})
    raise ValueError(f"{value!r} is not a duration: write e.g. 500ms, 90s, 15m, 2h, 3d or 1w")


def format_duration(value: timedelta) -> str:
    """The shortest exact spelling of ``value`` in the units above."""
    ms = round(value.total_seconds() * 1000)
    for unit, size in (
        ("w", 604_800_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
    ):
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


#: A pydantic field type for durations in specs.
Duration = Annotated[
    timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration, return_type=str)
]
