"""A stage SIGKILLed three times mid-stream loses nothing, and with transactions repeats nothing."""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.support.confluent import avro_deserializer, registry_client
from tests.support.kafka import read_all
from tests.support.records import payment
from tests.support.stage_process import (
    PassThrough,
    committed_total,
    kill_after,
    produce_payments,
    wait_for,
)

TOTAL = 50_000
PARTITIONS = 3
KILL_AT = (12_000, 25_000, 38_000)  # committed input records at which the stage is killed


@pytest.mark.chaos
@pytest.mark.parametrize("guarantee", ["exactly_once", "at_least_once"])
def test_stage_survives_three_sigkills(
    guarantee: str,
    kafka: str,
    schema_registry: str,
    tmp_path: Path,
    passthrough: Callable[[str, int], PassThrough],
) -> None:
    wiring = passthrough(f"kill-{guarantee}", PARTITIONS)
    source, output, dlq = wiring.source, wiring.output, wiring.dlq
    produce_payments(kafka, schema_registry, source, range(TOTAL))
    log_file = tmp_path / "stage.log"

    def start() -> subprocess.Popen[bytes]:
        return wiring.start(log_file, guarantee=guarantee, batch=1000, throttle_ms=25)

    def progress() -> int:
        return committed_total(kafka, wiring.group, source, PARTITIONS)

    stage = start()
    committed_at_kill = []
    for threshold in KILL_AT:
        kill_after(stage, progress, threshold, log_file, timeout_s=120)
        committed_at_kill.append(progress())
        stage = start()
    assert all(c < TOTAL for c in committed_at_kill), committed_at_kill  # killed mid-stream

    wait_for(lambda: progress() == TOTAL, 180, "all input committed", log_file)
    stage.send_signal(signal.SIGTERM)
    assert stage.wait(60) == 0, "graceful shutdown exits 0"

    deserializer = avro_deserializer(registry_client(schema_registry))
    context = SerializationContext(output, MessageField.VALUE)
    messages = read_all(kafka, output, expected=TOTAL, idle_s=3, timeout_s=120)
    ids = Counter(deserializer(m.value(), context)["id"] for m in messages)
    expected = {payment(i)["id"] for i in range(TOTAL)}
    assert set(ids) == expected, f"missing: {len(expected - set(ids))}"
    duplicates = sum(ids.values()) - TOTAL
    if guarantee == "exactly_once":
        assert duplicates == 0, f"{duplicates} duplicates under exactly-once"
    print(f"{guarantee}: kills at {committed_at_kill}, {duplicates} duplicates")
    assert read_all(kafka, dlq, expected=0, idle_s=1, timeout_s=10) == []
