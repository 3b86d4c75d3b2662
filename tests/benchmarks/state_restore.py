"""Restore of a stage's state from its changelog: writing such a changelog, and timing a restore.

The changelog holds ``keys`` feature windows (`stored_features`), one record per key, as
compaction leaves a changelog: data records in the exact format of
`streamops.state.records`, written in transactions of `KEYS_PER_TRANSACTION`, each
ending with an offsets marker per partition, as the runtime's batches do.

    python -m tests.benchmarks.state_restore --stage S --keys K --partitions P \
        --backend memory|disk --state-dir DIR [--bootstrap-servers B]

restores every partition into a fresh `StageState` (`StageState.assign`, as the runtime
does on assignment), checks the keys, and prints one JSON line of figures. One process
per restore, so that its memory growth is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaError, Producer
from confluent_kafka.admin import AdminClient
from prometheus_client import CollectorRegistry

from streamops.runtime.clients import restore_consumer_config
from streamops.settings import KafkaSettings
from streamops.state import StageState, StateSettings, StoreSpec
from streamops.state.records import data_record, decode_entry, encode_entry, marker_record
from streamops.topics import changelog_topic, ensure_topics
from tests.benchmarks.feature_stage import STORE, TTL_MS, Features

KEYS_PER_TRANSACTION = 100_000
SAMPLE = 2_000
_BASE_MS = 1_795_000_000_000
#: the input topic the offsets markers name (any name: a restore only carries it over)
_INPUT = "bench.payments"


def state_key(i: int) -> bytes:
    """Key number ``i``: a customer id."""
    return f"c-{i:08d}".encode()


def stored_features(i: int) -> tuple[int, Features]:
    """Event time and features of key ``i``, as `feature_stage.update_features` builds them."""
    n = 1 + i % 40
    low = 1.0 + (i % 997) * 0.731
    high = low + 17.3 + (i % 89) * 1.913
    mean = (low + high) / 2
    last = _BASE_MS + i
    return last, [n, n * mean, n * mean * mean * 1.07, low, high, last - n * 61_000, last]


def write_changelog(kafka: str, stage: str, keys: int, partitions: int) -> dict[str, float]:
    """Create the stage's changelog topic and fill it; returns records, bytes and seconds."""
    spec = changelog_topic(stage, STORE, partitions)
    report = ensure_topics(AdminClient({"bootstrap.servers": kafka}), [spec])
    assert report.ok, report.render()
    errors: list[KafkaError] = []

    def on_delivery(err: KafkaError | None, _msg: object) -> None:
        if err is not None:
            errors.append(err)

    # the runtime's producer settings (runtime/clients.py), with a larger local queue
    producer = Producer(
        {
            "bootstrap.servers": kafka,
            "transactional.id": f"{stage}-writer",
            "enable.idempotence": True,
            "compression.type": "lz4",
            "linger.ms": 5,
            "queue.buffering.max.messages": 1_000_000,
        }
    )
    producer.init_transactions(30)
    produce = producer.produce
    written = [0] * partitions
    records = size = 0
    started = time.monotonic()
    for first in range(0, keys, KEYS_PER_TRANSACTION):
        producer.begin_transaction()
        batch = [
            data_record(spec.name, i % partitions, state_key(i), (t, encode_entry(t, f)))
            for i in range(first, min(first + KEYS_PER_TRANSACTION, keys))
            for t, f in (stored_features(i),)
        ]
        for r in batch:
            written[r.partition] += 1
        batch += [marker_record(spec.name, p, {_INPUT: written[p]}) for p in range(partitions)]
        for r in batch:
            while True:
                try:
                    produce(r.topic, r.value, r.key, partition=r.partition, on_delivery=on_delivery)
                    break
                except BufferError:
                    producer.poll(0.05)
            records += 1
            size += len(r.key) + len(r.value or b"")
        producer.commit_transaction(120)
        assert not errors, errors[:3]
    return {"records": records, "bytes": size, "seconds": time.monotonic() - started}


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _tree_bytes(root: Path) -> int:
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())


def restore_once(
    kafka: str, stage: str, keys: int, partitions: int, backend: str, state_dir: Path
) -> dict[str, Any]:
    """Restore all partitions of the changelog into a new `StageState`; its figures."""
    registry = CollectorRegistry()
    state = StageState(
        [StoreSpec(STORE, ttl_ms=TTL_MS)], StateSettings(backend=backend, dir=state_dir)
    )
    state.bind(stage, registry, "0")
    config = restore_consumer_config(stage, KafkaSettings(bootstrap_servers=kafka))
    rss_before = _status_kib("VmRSS")
    started = time.monotonic()
    restore_seconds = state.assign(range(partitions), config)
    seconds = time.monotonic() - started
    rss_after, rss_peak = _status_kib("VmRSS"), _status_kib("VmHWM")
    parts = [state.partition(STORE, p) for p in range(partitions)]
    labels = {"stage": stage, "store": STORE}
    figures: dict[str, Any] = {
        "backend": backend,
        "seconds": seconds,
        "restore_seconds": restore_seconds,
        "count": sum(p.store.count() for p in parts),
        "size_bytes": sum(p.store.size_bytes() for p in parts),
        "state_bytes_metric": registry.get_sample_value("streamops_state_bytes", labels),
        "restored_records": registry.get_sample_value(
            "streamops_state_restored_records_total", labels
        ),
        "rss_growth_bytes": (rss_after - rss_before) * 1024,
        "rss_peak_growth_bytes": (rss_peak - rss_before) * 1024,
        "dir_bytes": _tree_bytes(state_dir) if backend == "disk" else None,
    }
    wrong = 0
    for i in random.Random(keys).sample(range(keys), min(SAMPLE, keys)):
        data = parts[i % partitions].store.get(state_key(i))
        wrong += data is None or decode_entry(data) != stored_features(i)
    figures["sample"], figures["sample_wrong"] = min(SAMPLE, keys), wrong
    # the newest event time of each partition is its last key's
    figures["watermarks_ok"] = all(
        part.watermark_ms == stored_features(keys - 1 - (keys - 1 - p) % partitions)[0]
        for p, part in enumerate(parts)
    )
    state.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stage", required=True)
    parser.add_argument("--keys", type=int, required=True)
    parser.add_argument("--partitions", type=int, required=True)
    parser.add_argument("--backend", choices=("memory", "disk"), required=True)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS"))
    args = parser.parse_args()
    figures = restore_once(
        args.bootstrap_servers, args.stage, args.keys, args.partitions, args.backend, args.state_dir
    )
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
