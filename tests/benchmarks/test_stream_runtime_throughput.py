"""Throughput of a pass-through stage (Avro decode → encode → produce), one process each.

Side by side in one run, on the same input topic:
- raw: confluent-kafka consume + produce of the same bytes, no Avro (the ceiling);
- streamops at-least-once and exactly-once (the stream runtime, tests.support.passthrough_stage);
- faust: a faust-streaming agent doing the same fastavro decode/encode.

Each contender is a separate process; throughput is measured from outside by polling the
consumer group's committed offsets, from the first commit to the last (start-up excluded).
Runs are interleaved and repeated; medians are reported. `make bench` runs it.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient

from streamops.serde import AvroEncoder, value_subject
from tests.support.kafka import unique_name
from tests.support.records import PAYMENT_SCHEMA, payment
from tests.support.stage_process import REPO

RECORDS = int(os.environ.get("BENCH_RECORDS", "300000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
PARTITIONS = 3
RESULTS = REPO / "var" / "bench" / "stream_runtime.json"


def _commands(
    kafka: str, registry: str, src: str, out: str, dlq: str, group: str
) -> dict[str, list[str]]:
    stage = [
        sys.executable,
        "-m",
        "tests.support.passthrough_stage",
        "--input",
        src,
        "--output",
        out,
        "--dlq",
        dlq,
        "--group",
        group,
        "--batch",
        "5000",
        "--bootstrap-servers",
        kafka,
        "--registry-url",
        registry,
    ]
    return {
        "raw confluent-kafka (ceiling)": [
            sys.executable,
            "-m",
            "tests.benchmarks.raw_passthrough",
            "--input",
            src,
            "--output",
            out,
            "--group",
            group,
            "--bootstrap-servers",
            kafka,
        ],
        "streamops at-least-once": [*stage, "--guarantee", "at_least_once"],
        "streamops exactly-once": [*stage, "--guarantee", "exactly_once"],
        "faust-streaming agent": [
            sys.executable,
            "-m",
            "tests.benchmarks.faust_passthrough",
            "--input",
            src,
            "--output",
            out,
            "--group",
            group,
            "--registry-url",
            registry,
            "--bootstrap-servers",
            kafka,
        ],
    }


def _measure(command: list[str], kafka: str, src: str, group: str, log: Path) -> float:
    """Records/s between the group's first and last commit on ``src``."""
    # read_uncommitted: do not wait for stable offsets (see stage_process.Committed)
    poller = Consumer(
        {"bootstrap.servers": kafka, "group.id": group, "isolation.level": "read_uncommitted"}
    )
    partitions = [TopicPartition(src, p) for p in range(PARTITIONS)]
    with open(log, "ab") as out:
        proc = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    try:
        first: tuple[float, int] | None = None
        deadline = time.monotonic() + 600
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"{command[2]} exited {proc.returncode}; see {log}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{command[2]} did not finish in 600 s; see {log}")
            done = sum(max(tp.offset, 0) for tp in poller.committed(partitions, timeout=10))
            now = time.monotonic()
            if first is None and done > 0:
                first = (now, done)
            if done >= RECORDS:
                break
            time.sleep(0.05)
        assert first is not None
        return (RECORDS - first[1]) / (now - first[0])
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        poller.close()


def _fill(kafka: str, registry: str, topic: str) -> None:
    encoder = AvroEncoder(
        SchemaRegistryClient({"url": registry}), value_subject(topic), PAYMENT_SCHEMA
    )
    producer = Producer({"bootstrap.servers": kafka, "linger.ms": 20})
    for i in range(RECORDS):
        record = payment(i)
        while True:
            try:
                producer.produce(topic, encoder.encode(record), record["customer_id"])
                break
            except BufferError:
                producer.poll(0.1)
    assert producer.flush(120) == 0


def test_pass_through_throughput(
    kafka: str, schema_registry: str, new_topic: Callable[..., str], tmp_path: Path
) -> None:
    source = new_topic("bench-in", partitions=PARTITIONS)
    _fill(kafka, schema_registry, source)
    rates: dict[str, list[float]] = {}
    for run in range(RUNS):
        names = list(_commands(kafka, schema_registry, source, "", "", "").keys())
        order = names[run % len(names) :] + names[: run % len(names)]  # rotate: fair to all
        for name in order:
            group = unique_name("bench")
            out = new_topic("bench-out", partitions=PARTITIONS)
            dlq = new_topic("bench-dlq")
            command = _commands(kafka, schema_registry, source, out, dlq, group)[name]
            rate = _measure(command, kafka, source, group, tmp_path / f"{name[:8]}.log")
            rates.setdefault(name, []).append(rate)
            print(f"run {run + 1}/{RUNS}  {name:<30} {rate:>10,.0f} records/s", flush=True)

    median = {name: statistics.median(values) for name, values in rates.items()}
    raw = median["raw confluent-kafka (ceiling)"]
    alo = median["streamops at-least-once"]
    eos = median["streamops exactly-once"]
    faust = median["faust-streaming agent"]
    print(
        f"\npass-through, {RECORDS:,} records of 10 fields, {PARTITIONS} partitions, "
        f"median of {RUNS} runs"
    )
    print(f"{'contender':<30} {'records/s':>10} {'vs raw':>8} {'vs faust':>9}")
    for name, value in median.items():
        print(f"{name:<30} {value:>10,.0f} {value / raw:>8.0%} {value / faust:>8.1f}x")
    targets = {
        "at-least-once >= 50,000 records/s": alo >= 50_000,
        "at-least-once >= 60% of raw ceiling": alo >= 0.6 * raw,
        "exactly-once within 25% of at-least-once": eos >= 0.75 * alo,
    }
    for target, met in targets.items():
        print(f"target {target:<45} {'met' if met else 'MISSED'}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"records": RECORDS, "runs": rates, "median": median, "targets": targets}, indent=2
        )
    )
