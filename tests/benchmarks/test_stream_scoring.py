"""Stream scoring benchmark: ``streamops run serving`` in stream mode against the raw
consume + produce ceiling, side by side, on the same features records.

``BENCH_SCORING_EVENTS`` (200,000) features records of a private fraud pipeline
(`tests.support.log_writer`, 3 partitions) are scored by a 100-tree depth-10 random forest
published to the pipeline's registry and promoted. Runs interleaved (``BENCH_RUNS``, 3),
a fresh group each, median reported; the rate is measured from outside, from the group's
first to last committed offset. The service writes one Prediction per record (checked by
the predictions topic's growth). Figures go to docs/benchmarks.md ("Serving (issue 11)").
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from streamops.topics import TopicNames
from tests.support.kafka import delete_pipeline_topics, end_offsets, free_port
from tests.support.log_writer import Writer
from tests.support.pipelines import REPO, STREAMOPS, create_topics, private_pipeline
from tests.support.serving import Registry
from tests.support.stage_process import committed_rate

EVENTS = int(os.environ.get("BENCH_SCORING_EVENTS", "200000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
PARTITIONS = 3
TARGET = 50_000


def _rate(
    command: list[str], env: dict[str, str], kafka: str, topic: str, group: str, log: Path
) -> float:
    with open(log, "ab") as out:
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        rate, first = committed_rate(
            proc, kafka, group, topic, PARTITIONS, EVENTS, 120 + EVENTS / 1000, log
        )
    finally:
        proc.terminate()
        proc.wait(60)
    assert first < EVENTS, "one commit took every record: raise BENCH_SCORING_EVENTS"
    return rate


@pytest.mark.timeout(1800)
def test_stream_scoring(kafka: str, schema_registry: str, tmp_path: Path) -> None:
    pipeline = private_pipeline(tmp_path, "bscore")
    create_topics(kafka, pipeline)
    names = TopicNames(pipeline.name)
    registry = Registry(pipeline, kafka, schema_registry)
    try:
        writer = Writer(kafka, schema_registry, pipeline)
        records = [writer.record(n, 1_767_225_600_000 + n * 500) for n in range(EVENTS)]
        writer.produce_features(records)
        registry.publish_champion(records, trees=100, depth=10)
        rates: dict[str, list[float]] = {"raw": [], "streamops": []}
        written: list[int] = []
        for run in range(RUNS):
            for name in ["raw", "streamops"] if run % 2 == 0 else ["streamops", "raw"]:
                group = f"{pipeline.name}.{name}-{run}"
                log = tmp_path / f"{name}.log"
                if name == "raw":
                    out = f"{pipeline.name}.out-raw-{run}"
                    admin = AdminClient({"bootstrap.servers": kafka})
                    for future in admin.create_topics([NewTopic(out, PARTITIONS, 1)]).values():
                        future.result(30)
                    command = [
                        sys.executable,
                        "-m",
                        "tests.benchmarks.raw_passthrough",
                        "--bootstrap-servers",
                        kafka,
                        "--input",
                        names.features,
                        "--output",
                        f"{pipeline.name}.out-raw-{run}",
                        "--group",
                        group,
                    ]
                    rates[name].append(
                        _rate(command, dict(os.environ), kafka, names.features, group, log)
                    )
                    continue
                before = sum(end_offsets(kafka, names.predictions, PARTITIONS).values())
                env = {
                    **{k: v for k, v in os.environ.items() if not k.startswith("STREAMOPS_")},
                    "STREAMOPS_KAFKA_BOOTSTRAP_SERVERS": kafka,
                    "STREAMOPS_SCHEMA_REGISTRY_URL": schema_registry,
                    "STREAMOPS_SERVING_MODE": "stream",
                    "STREAMOPS_SERVING_GROUP_ID": group,
                    "STREAMOPS_SERVING_HEALTH_PORT": str(free_port()),
                    "STREAMOPS_STREAM_BATCH_MAX_RECORDS": "5000",
                    "STREAMOPS_PII_SALT": "benchmark-salt",
                    "STREAMOPS_LOG_LEVEL": "WARNING",
                }
                command = [str(STREAMOPS), "run", "serving", "--pipeline", str(pipeline.file)]
                rates[name].append(_rate(command, env, kafka, names.features, group, log))
                after = sum(end_offsets(kafka, names.predictions, PARTITIONS).values())
                written.append(after - before)
    finally:
        registry.close()
        admin = AdminClient({"bootstrap.servers": kafka})
        delete_pipeline_topics(admin, pipeline.name)
        raw_outputs = [f"{pipeline.name}.out-raw-{run}" for run in range(RUNS)]
        admin.delete_topics(raw_outputs, operation_timeout=30)
    raw, ours = statistics.median(rates["raw"]), statistics.median(rates["streamops"])
    print(
        f"\nstream scoring, {EVENTS:,} features records, RF 100 trees depth 10, "
        f"{RUNS} runs (median)\n"
        f"  raw consume+produce ceiling  {raw:>9,.0f} records/s  runs {rates['raw']}\n"
        f"  streamops serving (stream)   {ours:>9,.0f} records/s  runs {rates['streamops']}"
        f"  = {ours / raw:.0%} of the ceiling\n"
        f"  predictions written per run {written} (>= {EVENTS:,} each: at-least-once)\n"
        f"  target >= {TARGET:,} records/s: {'met' if ours >= TARGET else 'MISSED'}"
    )
    assert all(w >= EVENTS for w in written)
