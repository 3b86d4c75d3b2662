"""From an input object to a record that fits the event schema: checks, stamps, PII treatment.

Pure (no Kafka, no registry): the same code serves ingestion (the HTTP API and
`streamops ingest`) and serving.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from streamops.events.convert import shown
from streamops.events.errors import FieldError, ValueProblem
from streamops.events.fields import EventField, event_fields
from streamops.events.ids import IdFormat
from streamops.events.timestamps import UNITS, now_epoch
from streamops.pipeline import Pipeline
from streamops.pipeline.pii import PiiTreatment

#: Schema fields the preparer fills in itself when the schema has them.
INGEST_TIME_FIELD = "ingest_time"
SOURCE_FIELD = "source"


@dataclass(frozen=True)
class Prepared:
    """A record ready to encode: schema-shaped, stamped, PII treated."""

    record: dict[str, Any]
    event_id: str
    key: str | None


@dataclass(frozen=True)
class Rejected:
    """An input that cannot become an event, with every field-level error found."""

    errors: tuple[FieldError, ...]

    @property
    def reason(self) -> str:
        """The reason of the first error: the label events are counted under."""
        return self.errors[0].reason


class RecordPreparer:
    """Turns input objects into event records of one pipeline.

    - every field is checked against the schema (unknown, missing, wrong type), all errors
      of an object are reported together, each naming its field;
    - the id field is stamped when absent or null (`IdFormat`), ``ingest_time`` is always
      stamped and ``source`` when absent or null, if the schema has those fields;
    - the spec's PII treatment (``pii``) is applied last, so nothing untreated leaves this class.
    """

    def __init__(
        self,
        pipeline: Pipeline,
        ids: IdFormat,
        pii: PiiTreatment,
        clock: Callable[[], int] | None = None,
    ) -> None:
        """``clock`` gives ingest_time in the field's unit (tests pin it); default: now."""
        spec = pipeline.spec
        self.schema_name = str(pipeline.event_schema.get("name", "event"))
        self.fields = event_fields(pipeline.event_schema, frozenset(spec.pii.fields))
        self.id_field = spec.event.id_field
        self.key_field = spec.event.key_field
        self._ids = ids
        self.pii = pii
        stamped = self.fields.get(INGEST_TIME_FIELD)
        self._ingest_time = stamped if stamped is not None and stamped.kind in UNITS else None
        self._clock = clock
        source = self.fields.get(SOURCE_FIELD)
        self._source = source is not None and source.kind == "string"

    def prepare(self, data: Any, *, source: str, text: bool = False) -> Prepared | Rejected:
        """The event record for ``data`` (a JSON object; with ``text``, CSV cells as strings)."""
        if not isinstance(data, Mapping):
            return Rejected(
                (
                    FieldError(
                        None, "not_an_object", f"expected a JSON object, got {shown(data, False)}"
                    ),
                )
            )
        errors = [self._unknown(name) for name in data if name not in self.fields]
        record: dict[str, Any] = {}
        for field in self.fields.values():
            value = data.get(field.name)
            if value is None:
                record[field.name] = self._absent(field, field.name in data, errors, text)
                continue
            try:
                record[field.name] = field.from_text(value) if text else field.from_json(value)
            except ValueProblem as problem:
                errors.append(
                    FieldError(field.name, problem.reason, f"{field.name}: {problem.message}")
                )
        if errors:
            return Rejected(tuple(errors))
        if self._ingest_time is not None:
            unit = UNITS[self._ingest_time.kind]
            record[INGEST_TIME_FIELD] = self._clock() if self._clock else now_epoch(unit)
        if self._source and record[SOURCE_FIELD] is None:
            record[SOURCE_FIELD] = source
        record = self.pii.apply(record)
        return Prepared(record, record[self.id_field], record[self.key_field])

    def _absent(
        self, field: EventField, null_given: bool, errors: list[FieldError], text: bool
    ) -> Any:
        """The value of a field the input left out (or set to null)."""
        if field.name == self.id_field:
            return self._ids.new_id()
        if not null_given and not field.nullable and not field.required:
            return field.default_value()
        if field.nullable or field.name in (INGEST_TIME_FIELD, SOURCE_FIELD):
            return None if null_given else field.default_value()
        got = "nothing (the field is required)"
        if null_given:
            got = "an empty cell" if text else "null"
        errors.append(
            FieldError(
                field.name, "missing_field", f"{field.name}: expected {field.expected}, got {got}"
            )
        )
        return None

    def _unknown(self, name: object) -> FieldError:
        known = list(self.fields)
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f" (it has: {', '.join(known)})"
        return FieldError(
            str(name),
            "unknown_field",
            f"{name}: unknown field, not in the schema {self.schema_name}{hint}",
        )
