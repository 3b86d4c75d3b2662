"""`streamops dataset build` end to end against the real broker and registry.

Features records (the spec's derived schema) and labels (the platform Label, written in
transactions, so partitions end on a commit marker) are produced to a private pipeline's
topics; the expected training set is worked out here by brute force from what was
produced, independently of the join's code.
"""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq  # type: ignore[import-untyped]

from streamops.dataset import read_identity
from streamops.pipeline import Pipeline
from tests.support.log_writer import LabelSent, Writer
from tests.support.pipelines import REPO, STREAMOPS

MINUTE = 60_000
HOUR = 60 * MINUTE
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
CUTOFF = T0 + 3 * HOUR
DELAY = HOUR  # the spec's expected_delay in these tests


def run_build(
    pipeline: Pipeline, out: Path, *args: str, kafka: str, registry: str
) -> subprocess.CompletedProcess[str]:
    """`streamops dataset build` as a process, with none of the caller's STREAMOPS_ settings."""
    return subprocess.run(
        [
            str(STREAMOPS),
            "dataset",
            "build",
            "--pipeline",
            str(pipeline.file),
            "--out",
            str(out),
            "--bootstrap-servers",
            kafka,
            "--registry-url",
            registry,
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if not k.startswith("STREAMOPS_")},
    )


def build(pipeline: Pipeline, out: Path, *args: str, kafka: str, registry: str) -> str:
    """Its output; the build must succeed."""
    result = run_build(pipeline, out, *args, kafka=kafka, registry=registry)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def expected_rows(
    records: list[dict[str, Any]], labels: list[LabelSent], cutoff: int
) -> dict[str, tuple[float, str, int | None]]:
    """Brute force: for every record by the cut-off, the last label known then, else a
    negative once the delay passed, else nothing."""
    out: dict[str, tuple[float, str, int | None]] = {}
    for r in records:
        if r["event_time"] > cutoff:
            continue
        known = [x for x in labels if x.event_id == r["event_id"] and x.label_time <= cutoff]
        if known:
            last = max(known, key=lambda x: x.label_time)
            out[r["event_id"]] = (last.value, "labelled", last.label_time)
        elif r["event_time"] + DELAY <= cutoff:
            out[r["event_id"]] = (0.0, "negative_after_delay", None)
    return out


def rows_of(out: Path) -> dict[str, tuple[float, str, int | None]]:
    rows = pq.read_table(out).to_pylist()
    order = [(r["event_time"], r["event_id"]) for r in rows]
    assert order == sorted(order), "rows in event time, then event id order"
    return {
        r["event_id"]: (
            r["label"],
            r["label_source"],
            None if r["label_time"] is None else round(r["label_time"].timestamp() * 1000),
        )
        for r in rows
    }


def test_a_training_set_at_a_cut_off_is_exact_and_reproducible(
    kafka: str, schema_registry: str, tmp_path: Path, pipeline: Pipeline
) -> None:
    writer = Writer(kafka, schema_registry, pipeline)
    rng = random.Random(7)
    # 400 events over 4 hours; every tenth one late (kept, with its flag)
    records = [
        writer.record(n, T0 + n * 36_000 + rng.randrange(1000), late=n % 10 == 9)
        for n in range(400)
    ]
    labels: list[LabelSent] = []
    for r in records:
        if rng.random() < 0.6:
            delay = rng.randrange(MINUTE, 3 * HOUR)  # some known by the cut-off, some not
            value = float(rng.random() < 0.3)
            labels.append(
                LabelSent(
                    r["event_id"], r["entity_key"], value, r["event_time"], r["event_time"] + delay
                )
            )
            if rng.random() < 0.2:  # a correction, later still
                labels.append(
                    LabelSent(
                        r["event_id"],
                        r["entity_key"],
                        1.0 - value,
                        r["event_time"],
                        r["event_time"] + delay + rng.randrange(MINUTE, HOUR),
                    )
                )
    writer.produce_features(records)
    writer.produce_labels(labels)

    first = tmp_path / "first.parquet"
    output = build(pipeline, first, "--until", str(CUTOFF), kafka=kafka, registry=schema_registry)

    expected = expected_rows(records, labels, CUTOFF)
    assert rows_of(first) == expected
    # what makes the test able to fail: labels from after the cut-off that would have
    # changed rows, and rows that are negative only because the delay passed
    future = {x.event_id for x in labels if x.label_time > CUTOFF}
    assert len(future & set(expected)) > 20
    assert all(t is None or t <= CUTOFF for _, _, t in expected.values())
    assert sum(s == "negative_after_delay" for _, s, _ in expected.values()) > 20
    late_rows = [r for r in pq.read_table(first).to_pylist() if r["late"]]
    assert late_rows and all(r["event_id"] in expected for r in late_rows)

    identity = read_identity(first)
    assert identity.pipeline == pipeline.name and identity.cutoff_ms == CUTOFF
    assert f"content hash: {identity.content_hash}" in output
    assert identity.features.topic == writer.names.features
    assert sorted(identity.features.offsets) == [0, 1, 2]
    assert all(start == 0 for start, _ in identity.features.offsets.values())
    assert sum(end for _, end in identity.features.offsets.values()) == len(records)
    assert identity.features.records == len(records)
    assert identity.labels.records == len(labels)
    assert identity.features.schema_ids == (writer.features_encoder.schema_id,)
    assert identity.labels.schema_ids == (writer.labels_encoder.schema_id,)
    counts = identity.counts
    assert counts["rows"] == len(expected)
    assert counts["negatives_by_delay"] == sum(
        s == "negative_after_delay" for _, s, _ in expected.values()
    )
    assert counts["positives"] == sum(v == 1.0 for v, _, _ in expected.values())
    assert counts["unlabelled"] == sum(r["event_time"] <= CUTOFF for r in records) - len(expected)

    second = tmp_path / "second.parquet"
    build(pipeline, second, "--until", str(CUTOFF), kafka=kafka, registry=schema_registry)
    assert read_identity(second) == identity, "the same offsets give the same dataset"

    # More arrives: a features record and labels that the cut-off would take in
    extra = writer.record(1000, T0 + HOUR)
    writer.produce_features([extra])
    writer.produce_labels(
        [
            LabelSent(r["event_id"], r["entity_key"], 1.0, r["event_time"], T0 + 2 * HOUR)
            for r in [extra, *records[:50]]
        ]
    )
    again = tmp_path / "again.parquet"
    output = build(pipeline, again, "--same-as", str(first), kafka=kafka, registry=schema_registry)
    assert f"same content as {first}" in output
    rebuilt = read_identity(again)
    assert rebuilt.content_hash == identity.content_hash
    assert rebuilt.end_offsets() == identity.end_offsets()
    assert rows_of(again) == expected

    now = tmp_path / "now.parquet"
    build(pipeline, now, "--until", str(CUTOFF), kafka=kafka, registry=schema_registry)
    newer = read_identity(now)
    assert newer.content_hash != identity.content_hash, "new records, new content"
    assert newer.features.records == len(records) + 1
    assert extra["event_id"] in rows_of(now)


def test_the_default_cut_off_is_the_newest_event_time_read(
    kafka: str, schema_registry: str, tmp_path: Path, pipeline: Pipeline
) -> None:
    writer = Writer(kafka, schema_registry, pipeline)
    records = [writer.record(n, T0 + n * 10 * MINUTE) for n in range(12)]  # up to T0 + 110m
    writer.produce_features(records)
    labels = [
        LabelSent(
            r["event_id"], r["entity_key"], 1.0, r["event_time"], r["event_time"] + 5 * MINUTE
        )
        for r in records[::2]
    ]
    writer.produce_labels(labels)
    out = tmp_path / "default.parquet"
    build(pipeline, out, kafka=kafka, registry=schema_registry)
    assert read_identity(out).cutoff_ms == T0 + 110 * MINUTE
    assert rows_of(out) == expected_rows(records, labels, T0 + 110 * MINUTE)


def test_empty_topics_exit_2_and_write_nothing(
    kafka: str, schema_registry: str, tmp_path: Path, pipeline: Pipeline
) -> None:
    out = tmp_path / "empty.parquet"
    result = run_build(pipeline, out, kafka=kafka, registry=schema_registry)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"topic {pipeline.name}.features has no records to read" in result.stderr
    assert not out.exists()
