"""Where the stream stands: the newest event time of a features topic from its partitions'
tails (real broker and registry; `streamops models promote` stamps it on its record)."""

from __future__ import annotations

import datetime
import random

from confluent_kafka import Producer

from streamops.dataset.newest import newest_event_time
from streamops.pipeline import Pipeline
from streamops.settings import KafkaSettings
from streamops.topics import TopicNames
from tests.support.log_writer import Writer

MINUTE = 60_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def test_the_newest_event_time_is_read_from_the_tails_of_the_partitions(
    kafka: str, schema_registry: str, pipeline: Pipeline
) -> None:
    k = KafkaSettings(bootstrap_servers=kafka)
    topic = TopicNames(pipeline.name).features
    assert newest_event_time(k, topic, timeout_s=20) is None  # nothing written yet
    assert newest_event_time(k, f"{topic}.none", timeout_s=20) is None  # no such topic
    writer = Writer(kafka, schema_registry, pipeline)
    rng = random.Random(5)
    # 2,000 events a minute apart over three partitions (by card), one in five late by up
    # to an hour; the newest is not the last written
    times = [
        T0 + n * MINUTE - (rng.randrange(60) * MINUTE if rng.random() < 0.2 else 0)
        for n in range(2_000)
    ]
    times[-3] += 10 * MINUTE
    writer.produce_features([writer.record(n, t) for n, t in enumerate(times)])
    garbage = Producer({"bootstrap.servers": kafka})  # unreadable records are passed over
    garbage.produce(topic, b"\x00\x00", key=b"card-000000")
    assert garbage.flush(10) == 0
    newest = datetime.datetime.fromtimestamp(max(times) / 1000, datetime.UTC)
    assert newest_event_time(k, topic, timeout_s=20) == newest
