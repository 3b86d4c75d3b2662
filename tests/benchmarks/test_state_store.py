"""State benchmarks: changelog bytes per applied event, restore time and state bytes.

1. A stage keeping per-customer features in its state (`feature_stage`, exactly-once,
   batches of 5,000) over ``BENCH_STATE_EVENTS`` payments (200,000) on
   ``BENCH_STATE_EVENT_KEYS`` customers (10,000), with the memory store, the disk store,
   and without state (the peer: same stage and outputs, no store). Each contender is its
   own process; its rate is measured from outside, first to last committed offset. The
   changelog is counted three ways: the stage's own `streamops_state_changelog_*`
   counters (scraped from its /metrics), the records read back from the topic (whose
   final state must equal the count per key produced), and the topic's log segments on
   the broker (compressed, with batch headers and transaction markers).
2. Restore of changelogs of ``BENCH_STATE_KEYS`` keys (100,000 by default; add
   10000000 for the large case) into each store, one process per restore
   (`state_restore`): seconds, keys/s, key+value bytes held, memory growth of the
   process, and the RocksDB directory.

Runs interleaved, order rotated, ``BENCH_RUNS`` (3) of each; medians reported.
Figures go to docs/benchmarks.md ("State store").
"""

from __future__ import annotations

import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import msgpack
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient
from prometheus_client.parser import text_string_to_metric_families

from streamops.serde import AvroEncoder, value_subject
from streamops.state.records import DATA_PREFIX, MARKER_KEY
from streamops.topics import changelog_topic
from tests.benchmarks.feature_stage import STORE
from tests.benchmarks.state_restore import write_changelog
from tests.support.kafka import free_port, unique_name
from tests.support.records import PAYMENT_SCHEMA, payment
from tests.support.stage_process import REPO, committed_rate

EVENTS = int(os.environ.get("BENCH_STATE_EVENTS", "200000"))
EVENT_KEYS = int(os.environ.get("BENCH_STATE_EVENT_KEYS", "10000"))
RESTORE_KEYS = [int(k) for k in os.environ.get("BENCH_STATE_KEYS", "100000").split(",")]
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
PARTITIONS = 3
BATCH = 5000
BROKER_DATA = REPO / "var" / "kafka" / "data"
RESULTS = REPO / "var" / "bench"
MB = 1_000_000


# -- shared ------------------------------------------------------------------------------


def _rotated(names: Sequence[str], run: int) -> list[str]:
    return [*names[run % len(names) :], *names[: run % len(names)]]


def _broker_bytes(topic: str, partitions: int) -> int | None:
    """Bytes of the topic's log segments, when the broker's data directory is this checkout's."""
    dirs = [BROKER_DATA / f"{topic}-{p}" for p in range(partitions)]
    if not all(d.is_dir() for d in dirs):
        return None
    return sum(f.stat().st_size for d in dirs for f in d.glob("*.log"))


def _delete_topics(admin: AdminClient, topics: Sequence[str]) -> None:
    """Leave the shared broker as we found it (the restore changelogs take GBs)."""
    for future in admin.delete_topics(list(topics), operation_timeout=60).values():
        future.result(timeout=60)


def _read_to_end(kafka: str, topic: str, partitions: int) -> Iterator[Any]:
    """Every committed record of ``topic``, from the beginning to the end of each partition."""
    consumer = Consumer(
        {
            "bootstrap.servers": kafka,
            "group.id": unique_name("bench-reader"),
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "isolation.level": "read_committed",
        }
    )
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    left = set(range(partitions))
    try:
        while left:
            for m in consumer.consume(10_000, 1.0):
                error = m.error()
                if error is None:
                    yield m
                elif error.code() == KafkaError._PARTITION_EOF:
                    left.discard(m.partition())
                else:
                    raise AssertionError(error.str())
    finally:
        consumer.close()


# -- 1. changelog bytes per applied event, rate with and without state ---------------------


def _fill(kafka: str, registry: str, topic: str) -> dict[bytes, int]:
    """Produce the payments on random customers; returns the number of payments per customer."""
    encoder = AvroEncoder(
        SchemaRegistryClient({"url": registry}), value_subject(topic), PAYMENT_SCHEMA
    )
    producer = Producer({"bootstrap.servers": kafka, "linger.ms": 20})
    rng = random.Random(11)
    # event times of the last minutes: older ones would fall to the topic's retention
    start_ms = int(time.time() * 1000) - EVENTS
    counts: dict[bytes, int] = {}
    for i in range(EVENTS):
        record, key = payment(i), f"c-{rng.randrange(EVENT_KEYS):06d}".encode()
        record["event_time"] = start_ms + i
        counts[key] = counts.get(key, 0) + 1
        while True:
            try:
                producer.produce(topic, encoder.encode(record), key, timestamp=start_ms + i)
                break
            except BufferError:
                producer.poll(0.1)
    assert producer.flush(120) == 0
    return counts


def _stage_command(
    kafka: str, registry: str, contender: str, topics: dict[str, str], port: int, state_dir: Path
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "tests.benchmarks.feature_stage",
        *("--input", topics["input"], "--output", topics["output"], "--dlq", topics["dlq"]),
        *("--group", topics["group"], "--state", contender, "--guarantee", "exactly_once"),
        *("--batch", str(BATCH), "--state-dir", str(state_dir), "--health-port", str(port)),
        *("--bootstrap-servers", kafka, "--registry-url", registry),
    ]


def _run_stage(
    command: list[str], kafka: str, src: str, group: str, port: int, log: Path
) -> tuple[float, dict[str, float]]:
    """Events/s between the group's first and last commit, and the stage's state counters."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    try:
        rate, _ = committed_rate(proc, kafka, group, src, PARTITIONS, EVENTS, 600, log)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as page:
            text = page.read().decode()
        counters = {
            sample.name: sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name.startswith("streamops_state_") and sample.labels.get("store") == STORE
        }
        return rate, counters
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0, f"graceful shutdown exits 0; see {log}"


def _changelog_read_back(kafka: str, topic: str) -> tuple[int, int, dict[bytes, int]]:
    """Records and key+value bytes in the changelog, and each key's final count."""
    records = size = 0
    counts: dict[bytes, int] = {}
    for m in _read_to_end(kafka, topic, PARTITIONS):
        key, value = m.key(), m.value()
        records += 1
        size += len(key) + len(value or b"")
        if key.startswith(DATA_PREFIX):
            assert value is not None, "no key expires within the TTL"
            counts[key[1:]] = msgpack.unpackb(value)[1][0]
        else:
            assert key == MARKER_KEY
    return records, size, counts


def test_changelog_bytes_per_applied_event(
    kafka: str, schema_registry: str, new_topic: Callable[..., str], tmp_path: Path
) -> None:
    source = new_topic("bench-state-in", partitions=PARTITIONS)
    expected = _fill(kafka, schema_registry, source)
    admin = AdminClient({"bootstrap.servers": kafka})
    contenders = ["none", "memory", "disk"]
    rates: dict[str, list[float]] = {c: [] for c in contenders}
    traffic: dict[str, list[dict[str, float]]] = {c: [] for c in contenders if c != "none"}
    for run in range(RUNS):
        for contender in _rotated(contenders, run):
            group = unique_name(f"bench-state-{contender}")
            topics = {
                "input": source,
                "output": new_topic("bench-state-out", partitions=PARTITIONS),
                "dlq": new_topic("bench-state-dlq"),
                "group": group,
            }
            changelog = changelog_topic(group, STORE, PARTITIONS).name
            port = free_port()
            command = _stage_command(
                kafka, schema_registry, contender, topics, port, tmp_path / "state"
            )
            log = tmp_path / f"{contender}.log"
            try:
                rate, counters = _run_stage(command, kafka, source, group, port, log)
                rates[contender].append(rate)
                print(f"run {run + 1}/{RUNS}  {contender:<8} {rate:>10,.0f} events/s", flush=True)
                out_broker = _broker_bytes(topics["output"], PARTITIONS)
                if contender == "none":
                    continue
                records, size, counts = _changelog_read_back(kafka, changelog)
                assert counts == expected, "the changelog's final state is the count per key"
                assert records == counters["streamops_state_changelog_records_total"]
                assert size == counters["streamops_state_changelog_bytes_total"]
                traffic[contender].append(
                    {
                        "records": records,
                        "bytes": size,
                        "broker_bytes": _broker_bytes(changelog, PARTITIONS) or 0,
                        "output_broker_bytes": out_broker or 0,
                        "keys": counters["streamops_state_keys"],
                        "state_bytes": counters["streamops_state_bytes"],
                    }
                )
            finally:
                stateful = [changelog] if contender != "none" else []
                _delete_topics(admin, [topics["output"], topics["dlq"], *stateful])

    _delete_topics(admin, [source])
    median = {c: statistics.median(v) for c, v in rates.items()}
    print(
        f"\nfeature stage, {EVENTS:,} events on {len(expected):,} keys, {PARTITIONS} partitions, "
        f"batches of {BATCH:,}, exactly-once, median of {RUNS} runs"
    )
    print(f"{'state':<8} {'events/s':>10} {'vs none':>8}")
    for c, value in median.items():
        print(f"{c:<8} {value:>10,.0f} {value / median['none']:>8.0%}")
    print(
        f"\n{'state':<8} {'changelog records/event':>24} {'key+value B/event':>18} "
        f"{'on broker B/event':>18} {'outputs on broker B/event':>26} {'keys':>7} {'state B':>10}"
    )
    for c, runs in traffic.items():
        t = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(
            f"{c:<8} {t['records'] / EVENTS:>24.3f} {t['bytes'] / EVENTS:>18.1f} "
            f"{t['broker_bytes'] / EVENTS:>18.1f} {t['output_broker_bytes'] / EVENTS:>26.1f} "
            f"{t['keys']:>7,.0f} {t['state_bytes']:>10,.0f}"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "state_changelog.json").write_text(
        json.dumps({"events": EVENTS, "rates": rates, "traffic": traffic}, indent=2)
    )


# -- 2. restore time and state bytes -------------------------------------------------------


def _restore(
    kafka: str, stage: str, keys: int, backend: str, state_dir: Path, log: Path
) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "tests.benchmarks.state_restore",
        *("--stage", stage, "--keys", str(keys), "--partitions", str(PARTITIONS)),
        *("--backend", backend, "--state-dir", str(state_dir), "--bootstrap-servers", kafka),
    ]
    with open(log, "ab") as err:
        done = subprocess.run(command, cwd=REPO, stdout=subprocess.PIPE, stderr=err, check=False)
    assert done.returncode == 0, f"restore exited {done.returncode}; see {log}"
    figures: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return figures


@pytest.mark.parametrize(
    "keys",
    [pytest.param(k, marks=pytest.mark.timeout(900 + k * RUNS // 5_000)) for k in RESTORE_KEYS],
    ids=[f"{k}-keys" for k in RESTORE_KEYS],
)
def test_restore_time_and_state_bytes(keys: int, kafka: str, tmp_path: Path) -> None:
    stage = unique_name("bench-restore")
    topic = changelog_topic(stage, STORE, PARTITIONS).name
    backends = ["memory", "disk"]
    runs: dict[str, list[dict[str, Any]]] = {b: [] for b in backends}
    try:
        written = write_changelog(kafka, stage, keys, PARTITIONS)
        on_broker = _broker_bytes(topic, PARTITIONS)
        for run in range(RUNS):
            for backend in _rotated(backends, run):
                f = _restore(kafka, stage, keys, backend, tmp_path / "state", tmp_path / "log")
                assert f["count"] == keys, "every key restored"
                assert f["sample_wrong"] == 0, "sampled keys hold the values written"
                assert f["watermarks_ok"], "each partition's watermark is its newest event time"
                assert f["restored_records"] == written["records"]
                runs[backend].append(f)
                print(
                    f"run {run + 1}/{RUNS}  {backend:<6} {f['seconds']:>8.2f} s "
                    f"{keys / f['seconds']:>10,.0f} keys/s",
                    flush=True,
                )
    finally:
        _delete_topics(AdminClient({"bootstrap.servers": kafka}), [topic])

    print(
        f"\nrestore of {keys:,} keys in {PARTITIONS} partitions, median of {RUNS} runs; "
        f"changelog: {written['records']:,.0f} records, {written['bytes'] / keys:.1f} B/key "
        f"key+value"
        + (f", {on_broker / keys:.1f} B/key on the broker" if on_broker else "")
        + f", written in {written['seconds']:.1f} s"
    )
    print(
        f"{'store':<7} {'seconds':>8} {'keys/s':>10} {'state MB':>9} {'B/key':>6} "
        f"{'RSS +MB':>8} {'B/key':>6} {'peak +MB':>9} {'dir MB':>8} {'B/key':>6}"
    )
    median: dict[str, dict[str, float]] = {}
    for backend, found in runs.items():
        m = {
            k: statistics.median(float(f[k] or 0) for f in found)
            for k in ("seconds", "size_bytes", "rss_growth_bytes", "rss_peak_growth_bytes")
        }
        m["dir_bytes"] = statistics.median(float(f["dir_bytes"] or 0) for f in found)
        median[backend] = m
        print(
            f"{backend:<7} {m['seconds']:>8.2f} {keys / m['seconds']:>10,.0f} "
            f"{m['size_bytes'] / MB:>9.1f} {m['size_bytes'] / keys:>6.1f} "
            f"{m['rss_growth_bytes'] / MB:>8.1f} {m['rss_growth_bytes'] / keys:>6.1f} "
            f"{m['rss_peak_growth_bytes'] / MB:>9.1f} "
            f"{m['dir_bytes'] / MB:>8.1f} {m['dir_bytes'] / keys:>6.1f}"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"state_restore_{keys}.json").write_text(
        json.dumps(
            {"keys": keys, "changelog": written, "broker_bytes": on_broker, "runs": runs},
            indent=2,
        )
    )
