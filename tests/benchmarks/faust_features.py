"""faust-streaming peer of the features service, for the features benchmark.

    python -m tests.benchmarks.faust_features --input IN --output OUT --group G \
        --pipeline FILE --registry-url URL [--bootstrap-servers localhost:9092] [--take 2000]

The fraud spec's window features written as a faust user would, independently of
`streamops.features`: each card's recent events (times, amounts, merchants, countries) live
in a faust ``Table`` (memory store, changelog topic ``G-windows-changelog``, msgpack values);
every event gets count, sum, mean, std, min, max and amount over mean of the amounts,
distinct merchants and countries over the sliding 10m, 1h and 24h windows in event time,
seconds since the card's previous event, hour and day; late events (behind the partition's
newest event time by more than the grace) are computed but not kept, as the service does.
One record per event goes to OUT, Avro with fastavro (the writer schema looked up once per
schema id), in the service's output schema.

Expert settings, as the pass-through peer (`faust_passthrough`): ``take_events`` batches,
bigger buffers and fetches, producer linger, commits every 0.5 s, web server and spinner
off. Each card touched in a batch is written to the changelog once at the end of the batch
(``Table.send_changelog`` with the event's partition: inside ``take_events`` the current
event is the batch's last, so ``table[key] = rows`` would pick its partition), as the
service writes each entity once per batch; writing on every event would re-send a busy
card's whole day of rows with each of its events. faust runs at-least-once here (its
default, and the pass-through peer's); the service runs exactly-once.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import tempfile
from bisect import bisect_right
from datetime import datetime
from pathlib import Path
from typing import Any

import fastavro
import faust
import msgpack
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from faust.serializers import codecs

from streamops.features import feature_set
from streamops.pipeline import load_pipeline
from streamops.serde import value_subject
from tests.benchmarks.faust_passthrough import (
    BUFFER_MAXSIZE,
    COMMIT_EVERY,
    COMMIT_INTERVAL_S,
    TAKE_WITHIN_S,
)

MINUTE_MS, HOUR_MS, DAY_MS = 60_000, 3_600_000, 86_400_000
WINDOWS = ((10 * MINUTE_MS, "10m"), (HOUR_MS, "1h"), (DAY_MS, "1d"))
GRACE_MS = 5 * MINUTE_MS
HORIZON_MS = DAY_MS + GRACE_MS  # an event older than this behind the newest counts for nothing
PARTITIONS = 3
TABLE = "windows"
#: A card's rows: [times (sorted), amounts, merchant ids, countries]
Rows = list[list[Any]]


class _Msgpack(codecs.Codec):
    """Table values as msgpack bytes (the service's state format), without faust's base64."""

    def _dumps(self, obj: Any) -> bytes:
        return bytes(msgpack.packb(obj))

    def _loads(self, s: bytes) -> Any:
        return msgpack.unpackb(s)


#: The fraud spec's passthrough fields, copied into each record after the features
PASSTHROUGH = ("amount", "channel", "country", "merchant_category")


def feature_names() -> list[str]:
    """The features in the order `window_features` returns them (the spec's record order)."""
    names = []
    for _, label in WINDOWS:
        names += [
            f"count_{label}",
            *(f"{f}_amount_{label}" for f in ("sum", "mean", "std", "min", "max")),
            f"amount_over_mean_{label}",
            f"distinct_merchant_id_{label}",
            f"distinct_country_{label}",
        ]
    return [*names, "seconds_since_previous", "hour_of_day", "day_of_week", *PASSTHROUGH]


def window_features(
    rows: Rows, t: int, amount: float | None, merchant: Any, country: Any, watermark: int | None
) -> tuple[list[Any], bool]:
    """The event's features against the card's rows (which it joins unless it is late)."""
    late = watermark is not None and t < watermark - GRACE_MS
    floor = None if watermark is None else watermark - HORIZON_MS
    times, amounts, merchants, countries = rows
    pos = bisect_right(times, t)
    out: list[Any] = []
    for length, _ in WINDOWS:
        low = t - length if floor is None else max(t - length, floor)
        start = bisect_right(times, low, 0, pos)
        values = [a for a in amounts[start:pos] if a is not None]
        if amount is not None:
            values.append(amount)
        n = len(values)
        if n:
            total = sum(values)
            mean = total / n
            std = math.sqrt(sum((v - mean) ** 2 for v in values) / n)
            ratio = amount / mean if amount is not None and mean else None
            out += [pos - start + 1, total, mean, std, min(values), max(values), ratio]
        else:
            out += [pos - start + 1, 0.0, None, None, None, None, None]
        seen_merchants = set(merchants[start:pos])
        seen_merchants.add(merchant)
        seen_countries = set(countries[start:pos])
        seen_countries.add(country)
        out.append(len(seen_merchants - {None}))
        out.append(len(seen_countries - {None}))
    previous = times[pos - 1] if pos and (floor is None or times[pos - 1] > floor) else None
    out.append(None if previous is None else (t - previous) / 1000)
    out += [(t // HOUR_MS) % 24, (t // DAY_MS + 3) % 7]  # 1970-01-01 was a Thursday
    if not late:
        for column, value in zip(rows, (t, amount, merchant, country), strict=True):
            column.insert(pos, value)
    return out, late


def evict(rows: Rows, watermark: int) -> None:
    """Drop the rows no later event can count (at or before watermark - horizon)."""
    cut = bisect_right(rows[0], watermark - HORIZON_MS)
    if cut:
        for column in rows:
            del column[:cut]


class AvroIO:
    """fastavro decode of wire-format events and encode of the features records."""

    def __init__(self, registry: SchemaRegistryClient, output: str, schema: dict[str, Any]):
        self._registry = registry
        self._readers: dict[int, Any] = {}
        self._schema = fastavro.parse_schema(schema)
        schema_id = registry.register_schema(value_subject(output), Schema(json.dumps(schema)))
        self._header = b"\x00" + schema_id.to_bytes(4, "big")

    def decode(self, data: bytes) -> dict[str, Any]:
        schema_id = int.from_bytes(data[1:5], "big")
        reader = self._readers.get(schema_id)
        if reader is None:
            text = self._registry.get_schema(schema_id).schema_str or ""
            reader = self._readers[schema_id] = fastavro.parse_schema(json.loads(text))
        record = fastavro.schemaless_reader(io.BytesIO(data[5:]), reader, None)
        assert isinstance(record, dict)
        return record

    def encode(self, record: dict[str, Any]) -> bytes:
        out = io.BytesIO()
        out.write(self._header)
        fastavro.schemaless_writer(out, self._schema, record)
        return out.getvalue()


def _watermark_key(partition: int) -> bytes:
    """The table key of a partition's newest event time (a card id never starts with 0)."""
    return f"\x00watermark-{partition}".encode()


def _millis(value: Any) -> int:
    return round(value.timestamp() * 1000) if isinstance(value, datetime) else int(value)


def build_app(args: argparse.Namespace, datadir: str) -> faust.App:
    """The faust app: one agent, one table of the cards' rows."""
    codecs.register("msgpack_raw", _Msgpack())
    app = faust.App(
        args.group,  # the app id is the consumer group id
        broker=f"kafka://{args.bootstrap_servers}",
        datadir=datadir,
        store="memory://",
        web_enabled=False,
        key_serializer="raw",
        value_serializer="raw",
        consumer_auto_offset_reset="earliest",
        consumer_max_fetch_size=4 * 1024**2,
        broker_commit_interval=COMMIT_INTERVAL_S,
        broker_commit_every=COMMIT_EVERY,
        stream_buffer_maxsize=BUFFER_MAXSIZE,
        producer_acks=-1,
        producer_linger=0.005,
        producer_max_batch_size=256 * 1024,
        table_standby_replicas=0,
    )
    # bytes keys (the card id as on the topic) are written raw; values go to the changelog
    # as msgpack (`send_changelog` below: the table would pick json for them otherwise)
    table = app.Table(TABLE, partitions=PARTITIONS, key_type=bytes)
    schema = feature_set(load_pipeline(Path(args.pipeline))).schema()
    names = [f["name"] for f in schema["fields"]][7:]
    assert names == feature_names(), "the peer computes the spec's features, in its order"
    names = names[: -len(PASSTHROUGH)]  # what window_features returns
    avro = AvroIO(SchemaRegistryClient({"url": args.registry_url}), args.output, schema)
    source = app.topic(args.input, key_serializer="raw", value_serializer="raw")
    sink = app.topic(args.output, key_serializer="raw", value_serializer="raw")

    @app.agent(source)
    async def featurize(stream: faust.StreamT[bytes]) -> None:
        batches = stream.take_events(args.take, within=TAKE_WITHIN_S)  # type: ignore[attr-defined]
        async for events in batches:
            rows_of: dict[bytes, Rows] = {}
            changed: dict[bytes, int] = {}  # card -> partition, of the cards with a new row
            marks: dict[int, int | None] = {}
            for event in events:
                message = event.message
                p = message.partition
                if p not in marks:
                    marks[p] = table.get(_watermark_key(p))
                watermark = marks[p]
                v = avro.decode(event.value)
                key, t = event.key, _millis(v["event_time"])  # the key is the card id
                rows = rows_of.get(key)
                if rows is None:
                    rows = rows_of[key] = table.get(key) or [[], [], [], []]
                vector, late = window_features(
                    rows, t, v["amount"], v["merchant_id"], v["country"], watermark
                )
                if not late:
                    changed[key] = p
                    if watermark is None or t > watermark:
                        marks[p] = t
                record = {
                    "event_id": v["transaction_id"],
                    "entity_key": v["card_id"],
                    "event_time": t,
                    "source_topic": message.topic,
                    "source_partition": p,
                    "source_offset": message.offset,
                    "late": late,
                    **dict(zip(names, vector, strict=True)),
                    **{name: v[name] for name in PASSTHROUGH},  # as the event carries them
                }
                await sink.send(key=event.key, value=avro.encode(record))
            for key, p in changed.items():
                rows, mark = rows_of[key], marks[p]
                assert mark is not None  # the card's event on time set it
                evict(rows, mark)
                table.data[key] = rows
                table.send_changelog(p, key, rows, value_serializer="msgpack_raw")
            for p, mark in marks.items():
                table.data[_watermark_key(p)] = mark
                table.send_changelog(p, _watermark_key(p), mark, value_serializer="msgpack_raw")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--pipeline", required=True, help="the spec (the output schema)")
    parser.add_argument("--registry-url", default=os.environ.get("SCHEMA_REGISTRY_URL"))
    parser.add_argument(
        "--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
    )
    parser.add_argument("--take", type=int, default=2000, help="events per batch")
    args = parser.parse_args()
    if not args.registry_url:
        parser.error("--registry-url (or SCHEMA_REGISTRY_URL) is required")
    with tempfile.TemporaryDirectory(prefix="faust-features-") as datadir:
        worker = faust.Worker(build_app(args, datadir), loglevel="WARNING", quiet=True)
        worker.spinner = None  # its log handler would lower the root logger to DEBUG
        worker.execute_from_commandline()


if __name__ == "__main__":
    main()
