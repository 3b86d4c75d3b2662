"""A second replica joining mid-stream: partitions move, nothing is lost (or repeated, with EOS).

The input arrives in two waves: the second wave is produced only once both replicas own
partitions, so the newcomer certainly has records to process (a single replica drains
whole partitions per fetch, so without the second wave it could inherit empty ones).
"""

from __future__ import annotations

import signal
import subprocess
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient
from confluent_kafka.serialization import MessageField, SerializationContext
from prometheus_client.parser import text_string_to_metric_families

from tests.support.confluent import avro_deserializer, registry_client
from tests.support.kafka import free_port, read_all
from tests.support.records import payment
from tests.support.stage_process import (
    PassThrough,
    committed_total,
    produce_payments,
    wait_for,
)

TOTAL = 50_000
PARTITIONS = 3


def _members_with_partitions(kafka: str, group: str) -> int:
    admin = AdminClient({"bootstrap.servers": kafka})  # must outlive the future it answers
    members = admin.describe_consumer_groups([group])[group].result(timeout=10).members
    return sum(1 for m in members if m.assignment.topic_partitions)


def _records_in(port: int, stage: str) -> float:
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == "streamops_stream_records_in_total":
                assert sample.labels["stage"] == stage
                return sample.value
    raise AssertionError("no streamops_stream_records_in_total in /metrics")


@pytest.mark.parametrize("guarantee", ["exactly_once", "at_least_once"])
def test_scaling_out_mid_stream_moves_partitions_safely(
    guarantee: str,
    kafka: str,
    schema_registry: str,
    tmp_path: Path,
    passthrough: Callable[[str, int], PassThrough],
) -> None:
    wiring = passthrough(f"scale-{guarantee}", PARTITIONS)
    source, output, group = wiring.source, wiring.output, wiring.group
    produce_payments(kafka, schema_registry, source, range(TOTAL // 2))

    ports = {"a": free_port(), "b": free_port()}

    def start(instance: str) -> subprocess.Popen[bytes]:
        return wiring.start(
            tmp_path / f"stage-{instance}.log",
            guarantee=guarantee,
            batch=500,
            throttle_ms=100,  # ~5,000 records/s: the second replica joins mid-stream
            instance=instance,
            health_port=ports[instance],
        )

    def progress() -> int:
        return committed_total(kafka, group, source, PARTITIONS)

    first = start("a")
    wait_for(
        lambda: progress() >= 5_000, 120, "5,000 records by one replica", tmp_path / "stage-a.log"
    )
    second = start("b")  # the group rebalances while the first replica is mid-stream
    wait_for(
        lambda: _members_with_partitions(kafka, group) == 2,
        60,
        "both replicas owning partitions",
        tmp_path / "stage-b.log",
    )
    produce_payments(kafka, schema_registry, source, range(TOTAL // 2, TOTAL))
    wait_for(lambda: progress() == TOTAL, 180, "all input committed", tmp_path / "stage-b.log")
    processed = {name: _records_in(port, group) for name, port in ports.items()}
    # the second replica really took partitions over and did part of the work
    assert processed["b"] > 0, processed
    for stage in (first, second):
        assert stage.poll() is None, "both replicas must still be running"
        stage.send_signal(signal.SIGTERM)
    assert [first.wait(60), second.wait(60)] == [0, 0]

    deserializer = avro_deserializer(registry_client(schema_registry))
    context = SerializationContext(output, MessageField.VALUE)
    ids = Counter(
        deserializer(m.value(), context)["id"]
        for m in read_all(kafka, output, expected=TOTAL, idle_s=3, timeout_s=120)
    )
    assert set(ids) == {payment(i)["id"] for i in range(TOTAL)}
    if guarantee == "exactly_once":
        assert sum(ids.values()) == TOTAL, "no duplicates across the rebalance"
