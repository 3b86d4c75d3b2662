"""faust-streaming peer of the streamops pass-through stage, for the throughput benchmark.

    python -m tests.benchmarks.faust_passthrough --input IN --output OUT --group G \
        --registry-url URL [--bootstrap-servers localhost:9092] [--take 2000]

Every record of IN (Confluent wire-format Avro values) is decoded with the writer schema
looked up once per schema id, re-encoded and produced to OUT with the same key. That is
the per-record work of the streamops stage, done with the same codec classes
(``streamops.serde.AvroDecoder``/``AvroEncoder``), so a benchmark comparing the two
measures the stream frameworks' overhead (consume, hand-over to user code, produce,
commit), not different codecs. faust moves raw bytes (``raw`` serializers) and does no
codec work of its own.

What the harness measures is the rate at which the group G's committed offsets on IN
advance. The app id is G, and faust uses the app id as the consumer group id. faust
commits acked offsets every ``COMMIT_INTERVAL_S``, and first flushes its producer, which
makes it at-least-once like the stage's default. Records are handed to the agent in
``stream.take_events`` batches, which was about 13 % faster than a plain ``async for``
here (``--take 0`` selects that). Runs until SIGTERM/SIGINT; faust's Worker handles both
and stops cleanly.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import faust
from confluent_kafka.schema_registry import SchemaRegistryClient

from streamops.serde import AvroDecoder, AvroEncoder, value_subject

COMMIT_INTERVAL_S = 0.5  # the harness reads committed offsets; keep them fresh
COMMIT_EVERY = 50_000  # records; a backstop, the timer normally commits first
BUFFER_MAXSIZE = 32_768  # records a stream may prefetch ahead of the agent (default 4096)
TAKE_WITHIN_S = 0.05  # hand a partial batch to the agent after this long


class Recoder:
    """Decodes a wire-format value and encodes it again for ``output``, as the stage does."""

    def __init__(self, registry: SchemaRegistryClient, output: str) -> None:
        self._registry = registry
        self._subject = value_subject(output)
        self._decoder = AvroDecoder(registry)  # caches each writer schema by id
        self._encoders: dict[int, AvroEncoder] = {}  # writer schema id -> encoder for OUT

    def __call__(self, data: bytes) -> bytes:
        record = self._decoder.decode(data)
        schema_id = int.from_bytes(data[1:5], "big")  # decode() checked the header
        encoder = self._encoders.get(schema_id)
        if encoder is None:  # first record of this writer schema: register it for OUT
            text = self._registry.get_schema(schema_id).schema_str or ""  # the client's cache
            encoder = self._encoders[schema_id] = AvroEncoder(self._registry, self._subject, text)
        return encoder.encode(record)


def build_app(args: argparse.Namespace, datadir: str) -> faust.App:
    """The faust app: one agent that reads IN, re-encodes and produces to OUT."""
    app = faust.App(
        args.group,  # the app id is the consumer group id
        broker=f"kafka://{args.bootstrap_servers}",
        datadir=datadir,  # faust makes <id>-data/ in the working directory otherwise
        store="memory://",
        web_enabled=False,
        key_serializer="raw",
        value_serializer="raw",
        consumer_auto_offset_reset="earliest",
        consumer_max_fetch_size=4 * 1024**2,  # per partition (default 1 MiB)
        broker_commit_interval=COMMIT_INTERVAL_S,
        broker_commit_every=COMMIT_EVERY,
        stream_buffer_maxsize=BUFFER_MAXSIZE,
        producer_acks=-1,  # all, as the stage's idempotent producer
        producer_linger=0.005,  # seconds; the stage's linger.ms is 5
        producer_max_batch_size=256 * 1024,  # bytes per partition batch (default 16 KiB)
    )
    source = app.topic(args.input, key_serializer="raw", value_serializer="raw")
    sink = app.topic(args.output, key_serializer="raw", value_serializer="raw")
    recode = Recoder(SchemaRegistryClient({"url": args.registry_url}), args.output)

    @app.agent(source)
    async def passthrough(stream: faust.StreamT[bytes]) -> None:
        if args.take:
            # StreamT lacks take_events (faust's interface is behind its Stream class)
            batches = stream.take_events(args.take, within=TAKE_WITHIN_S)  # type: ignore[attr-defined]
            async for events in batches:
                for event in events:
                    await sink.send(key=event.key, value=recode(event.value))
        else:
            async for event in stream.events():
                await sink.send(key=event.key, value=recode(event.value))

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--registry-url", default=os.environ.get("SCHEMA_REGISTRY_URL"))
    parser.add_argument(
        "--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
    )
    parser.add_argument(
        "--take", type=int, default=2000, help="records per batch; 0: one by one (async for)"
    )
    args = parser.parse_args()
    if not args.registry_url:
        parser.error("--registry-url (or SCHEMA_REGISTRY_URL) is required")
    with tempfile.TemporaryDirectory(prefix="faust-passthrough-") as datadir:
        worker = faust.Worker(build_app(args, datadir), loglevel="WARNING", quiet=True)
        worker.spinner = None  # its log handler would lower the root logger to DEBUG
        worker.execute_from_commandline()


if __name__ == "__main__":
    main()
