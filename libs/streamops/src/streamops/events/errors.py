"""Why an event was rejected: field-level errors with a bounded reason, and start-up errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Every reason an event can be rejected for; the ``reason`` label of the rejected-events
#: counter takes only these values, so it stays bounded.
Reason = Literal[
    "malformed_json",  # a JSONL line that is not JSON
    "malformed_row",  # a CSV row with the wrong number of cells
    "not_an_object",  # JSON that is not an object (a batch item, a JSONL line)
    "unknown_field",  # a field the event schema does not have
    "missing_field",  # a required field absent or null
    "wrong_type",  # a value of the wrong JSON type, or text that does not parse as the type
    "enum_symbol",  # a string that is not one of an enum's symbols
    "bad_timestamp",  # neither epoch millis nor ISO-8601 for a timestamp field
    "out_of_range",  # an integer too large for int/long
    "schema",  # fastavro refused the record (the final guard behind our own checks)
    "too_large",  # the encoded event exceeds the producer's message.max.bytes
]
REASONS: tuple[Reason, ...] = Reason.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with an event: the field (None for the whole event), why, and a message
    that starts with the field name, e.g. ``amount: expected a number (double) or null, got 'abc'``.
    """

    field: str | None
    reason: Reason
    message: str

    def to_json(self) -> dict[str, str | None]:
        """The error as a JSON object of the HTTP API and the rejects file."""
        return {"field": self.field, "reason": self.reason, "message": self.message}


class ValueProblem(ValueError):
    """A single value that does not fit its field; the preparer adds the field name."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason
        self.message = message


class EventConfigError(ValueError):
    """The spec, schema, settings or input cannot be used to prepare events; the message says
    what to fix."""
