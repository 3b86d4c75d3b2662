"""The features service is correct: on 100,000 events spanning more than a day of event time,
with out-of-order and late arrivals and a few very busy cards, every record it writes equals
an independent brute-force computation of the README's definitions (tests/support/
feature_bruteforce.py): exact for counts, distincts, late, hour and day, within 1e-9
relative for the rest.

The events are produced straight to ``{p}.events.valid``; the brute force takes them as they
landed there (read back: partition and offset are the arrival order the definitions use).
"""

from __future__ import annotations

import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from streamops.serde import AvroDecoder
from streamops.topics import TopicNames
from tests.support.confluent import registry_client
from tests.support.feature_bruteforce import (
    Definitions,
    assert_demanding,
    assert_features_match,
    expected_features,
)
from tests.support.feature_streams import transaction_stream
from tests.support.features_service import produce_valid, read_features, start_features
from tests.support.kafka import free_port, read_all
from tests.support.pipelines import create_topics, private_pipeline
from tests.support.stage_process import committed_total, wait_for

EVENTS, PARTITIONS = 100_000, 3
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def test_100k_events_match_the_brute_force(
    kafka: str, schema_registry: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    pipeline = private_pipeline(tmp_path, prefix="feat_correct")
    create_topics(kafka, pipeline)
    names = TopicNames(pipeline.name)
    events = transaction_stream(EVENTS, seed=2026)
    assert produce_valid(kafka, schema_registry, pipeline, events) == EVENTS

    log, port = tmp_path / "features.log", free_port()
    service = start_features(pipeline, kafka, schema_registry, log, health_port=port)
    try:
        wait_for(
            lambda: (
                service.poll() is not None
                or committed_total(kafka, names.stage("features"), names.events_valid, PARTITIONS)
                >= EVENTS
            ),
            180,
            f"{EVENTS} events featurized",
            log,
        )
        assert service.poll() is None, f"the service died:\n{log.read_text()[-3000:]}"
        counted = _counters(port, pipeline.name)
    finally:
        service.terminate()
        service.wait(30)
    computed_s = time.monotonic() - started

    records = read_features(kafka, schema_registry, pipeline, PARTITIONS)
    ids = [r["event_id"] for r in records]
    assert len(records) == EVENTS and len(set(ids)) == EVENTS, (
        f"{len(records)} records of {len(set(ids))} events: one record per event expected"
    )
    landed = _landed(kafka, schema_registry, names.events_valid)
    assert {e["transaction_id"] for e, _ in landed.values()} == {
        e["transaction_id"] for e in events
    }
    for r in records:
        event, (partition, offset) = landed[r["event_id"]]
        written = (r["entity_key"], _ms(r["event_time"]), r["source_topic"])
        assert written == (event["card_id"], event["event_time"], names.events_valid), r
        assert (r["source_partition"], r["source_offset"]) == (partition, offset), r

    arrived = list(landed.values())
    expected = expected_features(
        [e for e, _ in arrived], [at for _, at in arrived], Definitions.of(pipeline)
    )
    assert_demanding(expected)
    assert_features_match(records, expected)
    late = int(expected["late"].sum())
    assert counted == {"events": EVENTS, "late_events": late}, counted
    print(
        f"{EVENTS} events featurized in {computed_s:.0f} s (with generating and producing); "
        f"checked in {time.monotonic() - started - computed_s:.0f} s more; "
        f"{late} late"
    )


def _landed(kafka: str, registry: str, topic: str) -> dict[str, tuple[dict[str, Any], Any]]:
    """Every event of ``topic`` as it landed, by id: (event, (partition, offset))."""
    decoder = AvroDecoder(registry_client(registry))
    out = {}
    for m in read_all(kafka, topic, expected=EVENTS, timeout_s=120):
        event = decoder.decode(m.value())
        event["event_time"] = _ms(event["event_time"])
        out[event["transaction_id"]] = (event, (m.partition(), m.offset()))
    return out


def _counters(port: int, pipeline: str) -> dict[str, int]:
    """The service's streamops_features_*_total counters of ``pipeline``, from /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            name = sample.name.removeprefix("streamops_features_").removesuffix("_total")
            if sample.name.endswith("_total") and sample.labels.get("pipeline") == pipeline:
                found[name] = int(sample.value)
    return found


def _ms(value: datetime | int) -> int:
    """Epoch milliseconds of a decoded timestamp-millis, exactly (no float on the way)."""
    if isinstance(value, int):
        return value
    return (value - EPOCH) // timedelta(milliseconds=1)
