"""Monitoring end to end on one process: records/s consumed from a backlog of features,
predictions and labels (issue 12's target: at least 50,000 records/s).

A private fraud pipeline (3 partitions) as the monitoring integration tests build it
(`tests.support.monitoring.monitored_pipeline`): ``BENCH_MONITOR_EVENTS`` generated events
(60,000, three per second of event time, about 5.5 hours) through the features service, a
logistic regression champion with its reference profile, serving's stream scoring writing
a Prediction per event, and a label per event ten minutes later (all but the reference's
events). Once every record is on its topic, `streamops run monitoring` starts
``BENCH_MONITOR_RUNS`` times (3) in a fresh consumer group each (so fresh state), alone;
its rate runs from the group's first commit to the commit that reaches the end of all
three topics, exactly-once, batches of 5,000. Beside it, in the same run: a plain
confluent-kafka consumer reading the same three topics to their end without decoding (the
ceiling), and the transform alone in memory is `test_monitor_compute.py`.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, TopicPartition

from streamops.topics import TopicNames
from streamops_examples.fraud.generator import generate
from tests.support.features_service import start_service
from tests.support.monitoring import (
    Monitored,
    monitored_pipeline,
    produce_events_and_labels,
    wait_for,
)
from tests.support.stage_process import Committed, rate_until, stop

EVENTS = int(os.environ.get("BENCH_MONITOR_EVENTS", "60000"))
RUNS = int(os.environ.get("BENCH_MONITOR_RUNS", "3"))
REFERENCE = range(12_000, 30_000)
PARTITIONS = 3
TARGET = 50_000


Ends = dict[tuple[str, int], int]


def _monitoring_rate(m: Monitored, ends: Ends, run: int) -> tuple[float, int]:
    """Records/s of a fresh monitoring group from its first commit to the last record of
    each partition in ``ends`` (offsets; the transactions' markers after a partition's last
    record are never committed past), and how many offsets that first commit held."""
    group = f"bench-monitoring-{run}-{uuid.uuid4().hex[:8]}"
    log_file = m.directory / f"bench-monitoring-{run}.log"
    proc = start_service(
        "monitoring",
        m.pipeline,
        m.kafka,
        m.registry,
        log_file,
        {"STREAMOPS_MONITORING_HEALTH_PORT": "0", "STREAMOPS_MONITORING_GROUP_ID": group},
        instance=group,
    )
    total = sum(ends.values())
    read = Committed(m.kafka, group, sorted(ends))

    def done() -> int:  # per partition, never past its last record (the markers follow it)
        committed = read()
        return sum(min(committed[tp], end) for tp, end in ends.items())

    try:
        return rate_until(proc, done, total, 600, log_file)
    finally:
        read.close()
        stop(proc)


def _raw_read(kafka: str, topics: list[str]) -> tuple[float, int, Ends]:
    """A plain consumer reading ``topics`` from the start to their end, no decoding: its
    records/s from its first record, the records, and the offset after each partition's
    last record."""
    consumer = Consumer(
        {
            "bootstrap.servers": kafka,
            "group.id": f"bench-raw-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
        }
    )
    partitions = [TopicPartition(t, p, 0) for t in topics for p in range(PARTITIONS)]
    consumer.assign(partitions)
    ends: Ends = {}
    at_eof: set[tuple[str, int]] = set()
    records, deadline = 0, time.perf_counter() + 300
    started: float | None = None  # from the first record: the rate, not the connection
    while len(at_eof) < len(partitions):
        assert time.perf_counter() < deadline, f"read {records:,} records in 300 s"
        for msg in consumer.consume(10_000, 1.0):
            started = started or time.perf_counter()
            tp, error = (str(msg.topic()), int(msg.partition() or 0)), msg.error()
            if error is None:
                records += 1
                ends[tp] = int(msg.offset() or 0) + 1
            elif error.code() == KafkaError._PARTITION_EOF:
                at_eof.add(tp)
    elapsed = time.perf_counter() - (started or 0.0)
    consumer.close()
    return records / elapsed, records, ends


@pytest.mark.timeout(1800)
def test_monitoring_consumes_features_predictions_and_labels_end_to_end(
    kafka: str, schema_registry: str, tmp_path: Path
) -> None:
    generated = list(generate(EVENTS, seed=5, events_per_second=3.0))
    first, rest = generated[: REFERENCE.stop], generated[REFERENCE.stop :]
    with monitored_pipeline(tmp_path, kafka, schema_registry, "benchmon", first, REFERENCE) as m:
        stop(m.processes.pop("monitoring"))  # the runs below have the machine to themselves
        produce_events_and_labels(kafka, schema_registry, m.pipeline, rest, 600_000)
        names = TopicNames(m.pipeline.name)
        topics = [names.features, names.predictions, names.labels_valid]

        # features and predictions are written in transactions: wait for the last ones
        wait_for(
            "a Prediction for every event",
            lambda: _raw_read(kafka, [names.predictions])[1] >= EVENTS,
            timeout_s=600,
        )
        stop(m.processes.pop("serving"))
        stop(m.processes.pop("features"))
        ours, raw = [], []
        for run in range(RUNS):
            rate, records, ends = _raw_read(kafka, topics)
            raw.append(rate)
            if run == 0:
                print(f"\nbacklog: {records:,} records on {', '.join(topics)} ({EVENTS:,} events)")
            rate, in_first = _monitoring_rate(m, ends, run)
            ours.append(rate)
            print(
                f"run {run + 1}: monitoring {rate:,.0f} records/s (first commit held "
                f"{in_first:,}); plain consumer, no decoding {raw[-1]:,.0f} records/s"
            )
        median, ceiling = statistics.median(ours), statistics.median(raw)
        print(
            f"monitoring end to end, median of {RUNS}: {median:,.0f} records/s "
            f"({median / ceiling:.0%} of the plain consumer's {ceiling:,.0f}); "
            f"target {TARGET:,}: {'met' if median >= TARGET else 'missed'}"
        )
        assert all(r > 0 for r in ours)
