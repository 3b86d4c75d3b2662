"""One pipeline as an ingestion destination: prepare, encode (fastavro the final guard), topic."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastavro import parse_schema
from fastavro.validation import ValidationError, validate

from streamops.events.errors import FieldError
from streamops.events.prepare import RecordPreparer, Rejected
from streamops.topics import TopicNames

Encode = Callable[[Mapping[str, Any]], bytes]


@dataclass(frozen=True)
class Ready:
    """An event encoded for Kafka: its id, its key (the spec's key field) and the value bytes."""

    event_id: str
    key: str | None
    value: bytes


class IngestTarget:
    """Where and how the events of one pipeline are written.

    ``encode`` is `streamops.serde.AvroEncoder.encode` in production (Confluent wire format,
    schema registered); any function of a record to bytes that raises ValueError/TypeError
    on a record that does not fit will do.
    """

    def __init__(
        self,
        name: str,
        preparer: RecordPreparer,
        encode: Encode,
        schema: Mapping[str, Any],
        max_message_bytes: int,
    ) -> None:
        self.name = name
        self.topic = TopicNames(name).events_raw
        self.preparer = preparer
        self._encode = encode
        self._schema = parse_schema(dict(schema))
        self._max_bytes = max_message_bytes

    def process(self, data: Any, *, source: str, text: bool = False) -> Ready | Rejected:
        """``data`` as an encoded event, or why it cannot be one."""
        prepared = self.preparer.prepare(data, source=source, text=text)
        if isinstance(prepared, Rejected):
            return prepared
        try:
            value = self._encode(prepared.record)
        except (ValueError, TypeError) as exc:  # our checks missed something fastavro did not
            return Rejected((self._guard_error(prepared.record, exc),))
        if len(value) > self._max_bytes:
            return Rejected(
                (
                    FieldError(
                        None,
                        "too_large",
                        f"the encoded event is {len(value)} bytes, more than "
                        f"the {self._max_bytes} bytes Kafka is set to take",
                    ),
                )
            )
        return Ready(prepared.event_id, prepared.key, value)

    def _guard_error(self, record: Mapping[str, Any], exc: Exception) -> FieldError:
        """Name the field fastavro refused (its validator says which; the writer does not)."""
        try:
            validate(record, self._schema, raise_errors=True)
        except ValidationError as found:
            first = found.errors[0] if found.errors else None
            if first is not None and first.field:
                field = str(first.field).rsplit(".", 1)[-1]
                expected = str(first.schema)
                expected = expected if len(expected) <= 80 else expected[:80] + "…"
                return FieldError(
                    field, "schema", f"{field}: does not fit the Avro schema (expected {expected})"
                )
        return FieldError(None, "schema", f"the event does not fit the Avro schema: {exc}")
