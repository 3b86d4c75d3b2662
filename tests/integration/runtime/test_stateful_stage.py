"""A stateful stage SIGKILLed three times inside open batches ends with the state and the
outputs of an uninterrupted run: nothing lost, nothing counted twice, under both guarantees."""

from __future__ import annotations

import json
import signal
import subprocess
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgpack
import pytest
from confluent_kafka import Producer
from confluent_kafka.serialization import MessageField, SerializationContext

from streamops.state.records import DATA_PREFIX
from tests.support.confluent import avro_deserializer, avro_serializer, registry_client
from tests.support.counting_stage import STORE
from tests.support.kafka import (
    create_topic,
    delivery_recorder,
    produce_waiting,
    read_all,
    unique_name,
)
from tests.support.records import PAYMENT_SCHEMA, payment
from tests.support.stage_process import (
    PassThrough,
    committed_offsets,
    committed_total,
    kill_after,
    wait_for,
)

TOTAL = 50_000
PARTITIONS = 3
KEYS = 300  # ~170 records per key: a record applied twice shows in its key's count
KILL_AT = (12_000, 25_000, 38_000)
COUNTING = "tests.support.counting_stage"


def key_of(i: int) -> str:
    return f"k-{(i * 7919) % KEYS:03d}"


def produce_keyed(kafka: str, registry: str, topic: str) -> dict[str, tuple[int, float]]:
    """Produce the payments keyed by ``key_of``; return the expected count and sum per key."""
    serializer = avro_serializer(registry_client(registry), json.dumps(PAYMENT_SCHEMA))
    context = SerializationContext(topic, MessageField.VALUE)
    errors, on_delivery = delivery_recorder()
    producer = Producer({"bootstrap.servers": kafka, "linger.ms": 20})
    expected: dict[str, tuple[int, float]] = {}
    for i in range(TOTAL):
        record, key = payment(i), key_of(i)
        n, total = expected.get(key, (0, 0.0))
        expected[key] = (n + 1, total + record["amount"])  # in order, as the stage adds
        produce_waiting(producer, topic, serializer(record, context), key, on_delivery)
    assert producer.flush(60) == 0 and errors == []
    return expected


def final_state(kafka: str, group: str) -> dict[str, tuple[int, float]]:
    """The newest value of every key in the stage's changelog: its state, key by key."""
    state: dict[str, Any] = {}
    for m in read_all(kafka, f"{group}.{STORE}.changelog", expected=10**9, timeout_s=15, idle_s=3):
        key = m.key()
        if key.startswith(DATA_PREFIX):
            value = m.value()
            state[key[1:].decode()] = None if value is None else msgpack.unpackb(value)[1]
    return {k: (v[0], v[1]) for k, v in state.items() if v is not None}


def outputs(kafka: str, registry: str, topic: str) -> dict[str, list[tuple[str, int, float]]]:
    """Every output record by input id (a list: at-least-once may repeat one)."""
    deserializer = avro_deserializer(registry_client(registry))
    context = SerializationContext(topic, MessageField.VALUE)
    found: dict[str, list[tuple[str, int, float]]] = defaultdict(list)
    for m in read_all(kafka, topic, expected=TOTAL, idle_s=3, timeout_s=120):
        r = deserializer(m.value(), context)
        found[r["id"]].append((r["key"], r["n"], r["total"]))
    return found


def last_batch(progress: Path) -> list[tuple[int, int]]:
    """(partition, last offset) of each partition in the newest batch the stage began."""
    line = progress.read_text().splitlines()[-1]
    return [(int(p), int(last)) for _, p, _, last in (part.split() for part in line.split(";"))]


@pytest.mark.chaos
@pytest.mark.parametrize("guarantee", ["exactly_once", "at_least_once"])
def test_state_and_outputs_survive_three_kills_inside_open_batches(
    guarantee: str,
    kafka: str,
    schema_registry: str,
    tmp_path: Path,
    passthrough: Callable[[str, int], PassThrough],
) -> None:
    wiring = passthrough(f"state-{guarantee}", PARTITIONS)
    expected = produce_keyed(kafka, schema_registry, wiring.source)

    # the uninterrupted run, on the same input
    reference_group = unique_name("state-ref")
    reference_out = create_topic(kafka, unique_name("state-ref-out"), PARTITIONS)
    reference = PassThrough(
        kafka, schema_registry, wiring.source, reference_out, wiring.dlq, reference_group
    )
    ref_log = tmp_path / "reference.log"
    ref_stage = reference.start(
        ref_log, module=COUNTING, guarantee=guarantee, state_dir=tmp_path / "ref-state"
    )
    wiring.processes.append(ref_stage)  # the fixture kills it if the test fails

    log_file, progress = tmp_path / "stage.log", tmp_path / "progress.txt"

    def start() -> subprocess.Popen[bytes]:
        return wiring.start(
            log_file,
            module=COUNTING,
            guarantee=guarantee,
            batch=1000,
            throttle_ms=200,
            progress=progress,
            state_dir=tmp_path / "state",
        )

    def done() -> int:
        return committed_total(kafka, wiring.group, wiring.source, PARTITIONS)

    def batch_begins() -> None:  # the transform is in it now (200 ms sleep): kill there
        seen = len(progress.read_text().splitlines())
        wait_for(lambda: len(progress.read_text().splitlines()) > seen, 30, "a new batch", log_file)

    stage = start()
    open_at_kill = []
    for threshold in KILL_AT:
        kill_after(stage, done, threshold, log_file, just_before=batch_begins)
        batch = last_batch(progress)
        committed = committed_offsets(kafka, wiring.group, wiring.source, PARTITIONS)
        # the kill landed in an open batch: its records were taken but not committed
        assert all(committed[p] <= last for p, last in batch), (batch, committed)
        open_at_kill.append(sum(last + 1 - committed[p] for p, last in batch))
        stage = start()

    wait_for(lambda: done() == TOTAL, 240, "all input committed", log_file)
    wait_for(
        lambda: committed_total(kafka, reference_group, wiring.source, PARTITIONS) == TOTAL,
        240,
        "the reference run",
        ref_log,
    )
    for process in (stage, ref_stage):
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0, "graceful shutdown exits 0"

    state = final_state(kafka, wiring.group)
    assert state == final_state(kafka, reference_group), "state equals the uninterrupted run's"
    assert state == expected, "and the brute-force count and sum per key"

    got = outputs(kafka, schema_registry, wiring.output)
    want = outputs(kafka, schema_registry, reference_out)
    assert all(len(v) == 1 for v in want.values()) and len(want) == TOTAL
    assert {i: set(v) for i, v in got.items()} == {i: set(v) for i, v in want.items()}, (
        "every output carries the same count and total as in the uninterrupted run"
    )
    repeated = sum(len(v) - 1 for v in got.values())
    if guarantee == "exactly_once":
        assert repeated == 0, f"{repeated} duplicates under exactly-once"
    print(
        f"{guarantee}: records in the open batch at each kill {open_at_kill}, "
        f"{repeated} outputs repeated, {len(state)} keys equal"
    )
