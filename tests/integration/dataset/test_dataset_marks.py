"""A build that starts where the marks say gives exactly the rows a whole read gives from
the wanted event time on (real broker and registry; the training service reads so)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from streamops.dataset import Marks, build_dataset
from streamops.dataset import marks as marks_module
from streamops.pipeline import Pipeline
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from tests.support.log_writer import LabelSent, Writer

MINUTE = 60_000
HOUR = 60 * MINUTE
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def test_a_read_from_the_marks_keeps_every_row_from_the_wanted_time_on(
    kafka: str,
    schema_registry: str,
    tmp_path: Path,
    pipeline: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(marks_module, "EVERY", 200)
    writer = Writer(kafka, schema_registry, pipeline)
    rng = random.Random(11)
    # 3,000 events over 10 hours; three in ten arrive up to three hours out of order
    records = []
    for n in range(3000):
        t = T0 + n * 12_000
        late = rng.random() < 0.3
        records.append(writer.record(n, t - rng.randrange(3 * HOUR) if late else t, late=late))
    labels = [
        LabelSent(r["event_id"], r["entity_key"], 1.0, r["event_time"], r["event_time"] + MINUTE)
        for r in records
        if rng.random() < 0.2
    ]
    writer.produce_features(records)
    writer.produce_labels(labels)
    k = KafkaSettings(bootstrap_servers=kafka)
    r = SchemaRegistrySettings(url=schema_registry)
    whole = build_dataset(pipeline, k, r)
    marks = Marks()
    features = whole.identity.features.topic
    marks.learn(whole.identity.start_offsets()[features], whole.reach)
    assert marks.newest() == max(x["event_time"] for x in records)

    since = T0 + 7 * HOUR
    starts = marks.starts(since)
    assert starts and all(s > 0 for s in starts.values()), starts  # something to skip
    part = build_dataset(pipeline, k, r, start_offsets={features: starts})
    assert part.identity.features.records < whole.identity.features.records / 2
    assert {p: s for p, (s, _) in part.identity.features.offsets.items() if s} == starts
    assert part.identity.cutoff_ms == whole.identity.cutoff_ms
    at = [c.name for c in whole.columns].index("event_time")

    def recent(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
        return [row for row in rows if row[at] >= since]  # type: ignore[operator]

    assert recent(part.rows) == recent(whole.rows)
    assert len(recent(whole.rows)) > 500
    # what the read skipped is all older than `since`
    times = {row[0]: row[at] for row in whole.rows}
    skipped = set(times) - {row[0] for row in part.rows}
    assert skipped and all(times[e] < since for e in skipped)  # type: ignore[operator]
    again = build_dataset(
        pipeline,
        k,
        r,
        end_offsets=part.identity.end_offsets(),
        start_offsets=part.identity.start_offsets(),
    )
    assert again.identity.content_hash == part.identity.content_hash
