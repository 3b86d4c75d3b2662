"""Timestamps for ``timestamp-millis`` / ``timestamp-micros`` fields: epoch numbers or ISO-8601."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UNITS = {
    "timestamp-millis": timedelta(milliseconds=1),
    "timestamp-micros": timedelta(microseconds=1),
}


def parse_iso(text: str) -> datetime | None:
    """The instant an ISO-8601 string names (no offset: UTC), or None if it is not ISO-8601.

    RFC 3339 (JSON Schema's date-time) also allows a lowercase ``t`` and ``z``.
    """
    try:
        moment = datetime.fromisoformat(text.upper())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def to_epoch(moment: datetime, unit: timedelta) -> int:
    """Whole ``unit``s since the epoch, exact (no float rounding); naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // unit


def now_epoch(unit: timedelta) -> int:
    """The current time in ``unit``s since the epoch."""
    return to_epoch(datetime.now(UTC), unit)
