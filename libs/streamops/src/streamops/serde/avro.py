"""Avro encoding and decoding in the Confluent wire format, fast enough for the stream hot path.

Bytes on the wire are exactly what confluent-kafka's ``AvroSerializer`` writes and
``AvroDeserializer`` reads (tests prove both directions), so kcat, Connect and any
Confluent client read every topic. The schema registry is reached through
confluent-kafka's ``SchemaRegistryClient`` (registration, lookup by id, its cache).

The per-record work is done by ``streamops_avro``, a codec compiled per schema (Rust),
which reads and writes exactly what fastavro does at about a seventh of the cost
(docs/benchmarks.md). fastavro stays the reference and the fallback: for values the codec
declines (a naive datetime, a Mapping that is not a dict ...), for schemas it does not
support (decimal, time-*, local-timestamp-*), for reading with a reader schema that
differs from the writer's (schema resolution), and for everything where the codec is not
installed (`streamops.serde.native`).
"""

from __future__ import annotations

import io
import json
import struct
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from fastavro import parse_schema, schemaless_reader, schemaless_writer

from streamops.serde.native import CorruptAvro, TrailingBytes, native_codec

if TYPE_CHECKING:
    from streamops_avro import Codec

MAGIC_BYTE = 0
_HEADER = struct.Struct(">bI")
# An id the registry does not know is remembered this long, so that a flood of garbage
# records is not a flood of registry requests (a later registration is seen after it).
UNKNOWN_ID_TTL_S = 60.0


class DecodeError(ValueError):
    """The bytes are not a readable Avro record: bad data, to be dead-lettered with ``rule``."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


class RegistryUnavailable(RuntimeError):
    """The schema registry could not be asked: not the record's fault, so retry, never DLQ."""


def value_subject(topic: str) -> str:
    """The subject of a topic's values (Confluent's TopicNameStrategy)."""
    return f"{topic}-value"


def _schema_json(schema: Mapping[str, Any] | str) -> str:
    return schema if isinstance(schema, str) else json.dumps(schema)


class AvroEncoder:
    """Encodes records of one schema for one subject; the schema is registered on creation."""

    def __init__(
        self, registry: SchemaRegistryClient, subject: str, schema: Mapping[str, Any] | str
    ) -> None:
        text = _schema_json(schema)
        try:
            self.schema_id = registry.register_schema(subject, Schema(text, "AVRO"))
        except SchemaRegistryError as exc:
            raise RegistryUnavailable(
                f"cannot register the schema of subject {subject!r}: {exc}"
            ) from exc
        self.subject = subject
        self._parsed = parse_schema(json.loads(text))
        self._codec = native_codec(self._parsed)
        self._header = _HEADER.pack(MAGIC_BYTE, self.schema_id)
        #: the record schema's field names, in order (what a tuple's values are)
        parsed = self._parsed
        fields = parsed.get("fields", ()) if isinstance(parsed, dict) else ()
        self.fields: tuple[str, ...] = tuple(f["name"] for f in fields)

    def named(self, record: Mapping[str, Any] | tuple[Any, ...]) -> Mapping[str, Any]:
        """The record as a mapping: a tuple holds the values of the schema's fields in order
        (a hot path that makes many records skips building a dict for each)."""
        if not isinstance(record, tuple):
            return record
        if len(record) != len(self.fields):
            raise ValueError(
                f"{len(record)} values for the {len(self.fields)} fields of {self.subject}"
            )
        return dict(zip(self.fields, record, strict=True))

    def encode(self, record: Mapping[str, Any] | tuple[Any, ...]) -> bytes:
        """Wire-format bytes of one record, a mapping of its fields or a tuple of their values
        in the schema's order (`named`); raises ValueError/TypeError if it does not fit."""
        if isinstance(record, tuple):
            if self._codec is not None:
                data = self._codec.encode_fields(record, self._header)
                if data is not None:
                    return data
            record = self.named(record)
        elif self._codec is not None:
            data = self._codec.encode(record, self._header)
            if data is not None:
                return data
        # declined: fastavro writes what the codec could not vouch for, or raises its error
        out = io.BytesIO(self._header)
        out.seek(len(self._header))
        schemaless_writer(out, self._parsed, record)
        return out.getvalue()


class AvroDecoder:
    """Decodes wire-format records of any registered schema (writer schema looked up by id).

    With ``reader_schema`` the record is resolved to it (Avro schema evolution), else it is
    returned as written.
    """

    def __init__(
        self, registry: SchemaRegistryClient, reader_schema: Mapping[str, Any] | None = None
    ) -> None:
        self._registry = registry
        self._reader = parse_schema(dict(reader_schema)) if reader_schema is not None else None
        self._writers: dict[int, Any] = {}  # schema id -> fastavro's parsed schema
        self._codecs: dict[int, Codec] = {}  # schema id -> codec, where it can read alone
        self._unknown: dict[int, float] = {}  # schema id -> when the registry said 404

    def writer_schema(self, schema_id: int) -> Any:
        """The parsed schema registered under ``schema_id`` (cached for the process's life)."""
        parsed = self._writers.get(schema_id)
        if parsed is None:
            unknown_since = self._unknown.get(schema_id)
            if unknown_since is not None and time.monotonic() - unknown_since < UNKNOWN_ID_TTL_S:
                raise DecodeError(
                    "unknown_schema_id", f"schema id {schema_id} is not in the registry"
                )
            try:
                found = self._registry.get_schema(schema_id)
            except SchemaRegistryError as exc:
                if exc.http_status_code == 404:
                    self._unknown[schema_id] = time.monotonic()
                    raise DecodeError(
                        "unknown_schema_id", f"schema id {schema_id} is not in the registry"
                    ) from exc
                raise RegistryUnavailable(f"cannot look up schema id {schema_id}: {exc}") from exc
            except (
                Exception
            ) as exc:  # connection refused, DNS, timeouts: the registry, not the data
                raise RegistryUnavailable(f"cannot look up schema id {schema_id}: {exc}") from exc
            if found.schema_type not in (None, "AVRO"):
                raise DecodeError(
                    "not_avro", f"schema id {schema_id} is {found.schema_type}, not AVRO"
                )
            parsed = parse_schema(json.loads(found.schema_str or "null"))
            if not isinstance(parsed, dict) or parsed.get("type") != "record":
                raise DecodeError("not_a_record", f"schema id {schema_id} is not a record schema")
            # With a reader schema that differs, fastavro resolves one to the other.
            codec = native_codec(parsed) if self._reader in (None, parsed) else None
            if codec is not None:
                self._codecs[schema_id] = codec
            self._writers[schema_id] = parsed
        return parsed

    def decode(self, data: bytes | None) -> dict[str, Any]:
        """The record in ``data``; raises DecodeError for anything that is not a whole record."""
        if data is None:
            raise DecodeError("null_value", "the record has no value (a tombstone?)")
        if len(data) < _HEADER.size or data[0] != MAGIC_BYTE:
            raise DecodeError(
                "wire_format",
                f"not Confluent Avro wire format: {len(data)} bytes, first byte "
                f"{data[0] if data else 'none'} (expected magic byte 0 and a 4-byte schema id)",
            )
        schema_id = _HEADER.unpack_from(data)[1]
        codec = self._codecs.get(schema_id)
        if codec is None and schema_id not in self._writers:
            self.writer_schema(schema_id)  # the first record of this id: look it up, compile
            codec = self._codecs.get(schema_id)
        if codec is not None:
            try:
                record: dict[str, Any] = codec.decode(data, _HEADER.size)
                return record
            except TrailingBytes as exc:
                raise DecodeError(
                    "trailing_bytes",
                    f"{exc.args[0]} bytes left after the record (schema id {schema_id})",
                ) from None
            except CorruptAvro as exc:
                raise DecodeError(
                    "corrupt_avro",
                    f"cannot read the Avro body with schema id {schema_id}: {exc}",
                ) from None
        writer = self._writers[schema_id]
        stream = io.BytesIO(data)
        stream.seek(_HEADER.size)
        try:
            value = schemaless_reader(stream, writer, self._reader)
        except Exception as exc:  # fastavro raises EOFError, ValueError, UnicodeDecodeError ...
            raise DecodeError(
                "corrupt_avro",
                f"cannot read the Avro body with schema id {schema_id}: "
                f"{type(exc).__name__}: {exc}",
            ) from exc
        if stream.tell() != len(data):
            raise DecodeError(
                "trailing_bytes",
                f"{len(data) - stream.tell()} bytes left after the record (schema id {schema_id})",
            )
        return cast(dict[str, Any], value)  # a record schema always reads as a dict
