"""Test doubles of the ingestion service: an in-memory producer and a registry-free encoder."""

from __future__ import annotations

import io
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fastavro import parse_schema, schemaless_reader, schemaless_writer

from streamops.pipeline import Pipeline
from streamops_ingestion.publish.connect import preparer_for
from streamops_ingestion.publish.producer import OnDelivery, QueueFull
from streamops_ingestion.settings import IngestionSettings
from streamops_ingestion.target import IngestTarget
from tests.unit.events.samples import fraud_pipeline

_HEADER = struct.Struct(">bI")

Mode = Literal["ack", "fail", "silent", "full"]


@dataclass(frozen=True)
class Published:
    """One event the fake producer took."""

    topic: str
    key: str | None
    value: bytes


class FakeProducer:
    """An in-memory `EventProducer`. ``mode``: ack at once, fail every delivery, never answer
    (``silent``), or refuse with QueueFull (``full``). Only acknowledged events are kept."""

    def __init__(self, mode: Mode = "ack") -> None:
        self.mode = mode
        self.published: list[Published] = []
        self.is_connected = True
        self.closed = False
        self._pending: list[OnDelivery] = []

    def publish(self, topic: str, key: str | None, value: bytes, on_delivery: OnDelivery) -> None:
        if self.mode == "full":
            raise QueueFull("the producer queue is full")
        if self.mode == "ack":
            self.published.append(Published(topic, key, value))
            on_delivery(None)
        elif self.mode == "fail":
            on_delivery("Local: Message timed out")
        else:
            self._pending.append(on_delivery)

    def connected(self) -> bool:
        return self.is_connected

    def close(self, timeout_s: float) -> int:
        self.closed = True
        return len(self._pending)


class WireEncoder:
    """Confluent wire format with a fixed schema id, no registry: what AvroEncoder writes."""

    def __init__(self, schema: Mapping[str, Any], schema_id: int = 1) -> None:
        self._parsed = parse_schema(dict(schema))
        self._header = _HEADER.pack(0, schema_id)

    def encode(self, record: Mapping[str, Any]) -> bytes:
        out = io.BytesIO()
        out.write(self._header)
        schemaless_writer(out, self._parsed, record)
        return out.getvalue()

    def decode(self, value: bytes) -> dict[str, Any]:
        stream = io.BytesIO(value)
        stream.seek(_HEADER.size)
        record = schemaless_reader(stream, self._parsed, None)
        assert isinstance(record, dict)
        return record


def fraud_target(
    settings: IngestionSettings | None = None, pipeline: Pipeline | None = None
) -> tuple[IngestTarget, WireEncoder]:
    """An IngestTarget of the fraud pipeline encoding without a registry (needs the salt set)."""
    pipeline = pipeline or fraud_pipeline()
    settings = settings or IngestionSettings()
    encoder = WireEncoder(pipeline.event_schema)
    preparer = preparer_for(pipeline, settings)
    target = IngestTarget(
        pipeline.name, preparer, encoder.encode, pipeline.event_schema, settings.max_message_bytes
    )
    return target, encoder
