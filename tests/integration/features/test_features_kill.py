"""Exactly-once through kill -9: the features written by a service killed three times are
those of an uninterrupted run, record for record."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamops.topics import TopicNames
from tests.support.feature_streams import transaction_stream
from tests.support.features_service import (
    produce_valid,
    read_features,
    start_features,
)
from tests.support.pipelines import create_topics, private_pipeline
from tests.support.stage_process import committed_total, kill_after, wait_for

EVENTS = 50_000
PARTITIONS = 3


@pytest.mark.chaos
def test_three_kills_leave_the_features_of_an_uninterrupted_run(
    kafka: str, schema_registry: str, tmp_path: Path
) -> None:
    events = transaction_stream(count=EVENTS, seed=11, cards=2_000)
    for run in ("calm", "killed"):
        (tmp_path / run).mkdir()
    calm = private_pipeline(tmp_path / "calm", prefix="feat_calm")
    killed = private_pipeline(tmp_path / "killed", prefix="feat_kill")
    for pipeline in (calm, killed):
        create_topics(kafka, pipeline)
        assert produce_valid(kafka, schema_registry, pipeline, events) == EVENTS

    def done(pipeline_name: str) -> int:
        names = TopicNames(pipeline_name)
        return committed_total(kafka, names.stage("features"), names.events_valid, PARTITIONS)

    # the uninterrupted run goes on beside the killed one (their idle restarts overlap)
    calm_log = tmp_path / "calm.log"
    calm_service = start_features(calm, kafka, schema_registry, calm_log, batch=1000)
    log = tmp_path / "killed.log"
    for threshold in (8_000, 20_000, 33_000):
        service = start_features(killed, kafka, schema_registry, log, batch=1000, instance="k")
        kill_after(service, lambda: done(killed.name), threshold, log)
    service = start_features(killed, kafka, schema_registry, log, batch=1000, instance="k")
    try:
        wait_for(lambda: done(calm.name) >= EVENTS, 240, "the uninterrupted run", calm_log)
        wait_for(lambda: done(killed.name) >= EVENTS, 240, "the run after three kills", log)
    finally:
        for process in (calm_service, service):
            process.terminate()
            process.wait(30)

    expected = {r["event_id"]: _comparable(r) for r in read_features(kafka, schema_registry, calm)}
    got = read_features(kafka, schema_registry, killed)
    assert len(expected) == EVENTS
    assert len(got) == EVENTS, "a record was lost or written twice"
    mismatched = [r["event_id"] for r in got if expected.get(r["event_id"]) != _comparable(r)]
    assert mismatched == [], f"{len(mismatched)} records differ, e.g. {mismatched[:3]}"
    assert sum(r["late"] for r in got) > 0  # late events went through the kills too


def _comparable(record: dict[str, object]) -> dict[str, object]:
    """A record without where it was read from (the two runs read different topics)."""
    return {k: v for k, v in record.items() if k != "source_topic"}
