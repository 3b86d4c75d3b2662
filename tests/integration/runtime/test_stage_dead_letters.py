"""Garbage mixed into valid traffic: all of it dead-lettered with reasons, none of it fatal."""

from __future__ import annotations

import random
import signal
import struct
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from confluent_kafka import Producer
from confluent_kafka.serialization import MessageField, SerializationContext
from prometheus_client.parser import text_string_to_metric_families

from streamops.serde import AvroEncoder, value_subject
from tests.support.confluent import avro_deserializer, registry_client
from tests.support.kafka import delivery_recorder, free_port, produce_waiting, read_all
from tests.support.records import PAYMENT_SCHEMA, payment
from tests.support.stage_process import PassThrough, committed_total, wait_for

VALID = 20_000
GARBAGE = 5_000


def _garbage(rng: random.Random, valid: bytes) -> tuple[bytes | None, str]:
    """One bad value and the rule the stage must give for it."""
    kind = rng.randrange(4)
    if kind == 0:
        data = bytes([rng.randrange(1, 256)]) + rng.randbytes(rng.randrange(0, 80))
        return data, "wire_format"
    if kind == 1:
        return b"\x00" + struct.pack(">I", rng.randrange(10**8, 2**31)) + valid[
            5:
        ], "unknown_schema_id"
    if kind == 2:
        return valid[: rng.randrange(6, len(valid) - 2)], "corrupt_avro"
    return bytes(rng.randrange(0, 5)), "wire_format"  # shorter than a wire-format header


def test_garbage_goes_to_the_dlq_and_valid_records_all_come_out(
    kafka: str,
    schema_registry: str,
    tmp_path: Path,
    passthrough: Callable[[str, int], PassThrough],
) -> None:
    wiring = passthrough("garbage", 3)
    source, output, dlq, group = wiring.source, wiring.output, wiring.dlq, wiring.group
    registry = registry_client(schema_registry)
    encoder = AvroEncoder(registry, value_subject(source), PAYMENT_SCHEMA)
    rng = random.Random(7)
    valid = [encoder.encode(payment(i)) for i in range(VALID)]
    bad = [_garbage(rng, valid[i]) for i in range(GARBAGE)]
    stream = [(v, None) for v in valid] + bad
    rng.shuffle(stream)

    errors, on_delivery = delivery_recorder()
    producer = Producer({"bootstrap.servers": kafka, "linger.ms": 20})
    for n, (value, _) in enumerate(stream):
        produce_waiting(producer, source, value, f"k{n}", on_delivery)
    assert producer.flush(60) == 0 and errors == []

    port = free_port()
    log_file = tmp_path / "stage.log"
    stage = wiring.start(log_file, health_port=port)
    total = VALID + GARBAGE
    wait_for(
        lambda: committed_total(kafka, group, source, 3) == total or stage.poll() is not None,
        120,
        "all input committed",
        log_file,
    )
    assert stage.poll() is None, "the stage must survive garbage"

    base = f"http://127.0.0.1:{port}"
    assert urllib.request.urlopen(f"{base}/healthz").status == 200
    assert urllib.request.urlopen(f"{base}/readyz").status == 200
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(
            urllib.request.urlopen(f"{base}/metrics").read().decode()
        )
        for s in family.samples
    }
    assert samples[("streamops_stream_records_in_total", (("stage", group),))] == total
    assert (
        samples[("streamops_stream_records_out_total", (("stage", group), ("topic", output)))]
        == VALID
    )
    assert (
        samples[
            ("streamops_stream_records_dead_lettered_total", (("kind", "DECODE"), ("stage", group)))
        ]
        == GARBAGE
    )
    stage.send_signal(signal.SIGTERM)
    assert stage.wait(60) == 0

    deserializer = avro_deserializer(registry)
    out = read_all(kafka, output, expected=VALID, idle_s=2)
    out_ids = Counter(
        deserializer(m.value(), SerializationContext(output, MessageField.VALUE))["id"] for m in out
    )
    assert out_ids == Counter(payment(i)["id"] for i in range(VALID))

    letters = [
        deserializer(m.value(), SerializationContext(dlq, MessageField.VALUE))
        for m in read_all(kafka, dlq, expected=GARBAGE, idle_s=2)
    ]
    assert len(letters) == GARBAGE
    assert all(
        letter["error_kind"] == "DECODE"
        and letter["stage"] == group
        and letter["source_topic"] == source
        for letter in letters
    )
    got = Counter((letter["value"], letter["reasons"][0]["rule"]) for letter in letters)
    assert got == Counter(bad), "every garbage record, byte for byte, under the right rule"
