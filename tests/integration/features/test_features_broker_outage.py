"""The broker down for longer than the consumer's session, in the middle of a batch: the
features service must not hang. It either carries on once the broker is back, or stops
(its consumer fenced as a static member, its transaction aborted) for its supervisor to
start it again; either way every event gets exactly one features record.

Before 2026-12-04 it could hang for good: three runs of five waited in
``send_offsets_to_transaction`` (librdkafka resumed the call for ever once the consumer's
membership was gone), one in the rebalance's wait for the group's offsets, and SIGTERM
went unanswered meanwhile.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from confluent_kafka import KafkaException

from streamops.topics import TopicNames
from tests.support.backends import Backends
from tests.support.feature_streams import transaction_stream
from tests.support.features_service import produce_valid, read_features, start_features
from tests.support.pipelines import create_topics, private_pipeline
from tests.support.stage_process import Committed, wait_for

EVENTS = 60_000
PARTITIONS = 3
DOWN_S = 12  # beyond the tests' 10 s session timeout, as a broker restart often is
#: once the broker is back: a hung stage never gets there; a stopped one is started again
RECOVERY_S = 150


@pytest.mark.chaos
def test_a_broker_down_longer_than_the_session_leaves_no_stage_hanging(
    crashable_backends: Backends, tmp_path: Path
) -> None:
    backends = crashable_backends  # the session's broker, or a private one: it is killed
    assert backends.crash_broker is not None
    kafka, schema_registry = backends.bootstrap_servers, backends.schema_registry_url
    events = transaction_stream(count=EVENTS, seed=12, cards=2_000)
    pipeline = private_pipeline(tmp_path, prefix="outage")
    create_topics(kafka, pipeline)
    assert produce_valid(kafka, schema_registry, pipeline, events) == EVENTS
    names = TopicNames(pipeline.name)
    group = names.stage("features")
    partitions = [(names.events_valid, p) for p in range(PARTITIONS)]
    log = tmp_path / "features.log"

    def start() -> subprocess.Popen[bytes]:
        return start_features(pipeline, kafka, schema_registry, log, batch=1000, instance="o")

    service = start()
    read = Committed(kafka, group, partitions)  # one client, through the outage
    wait_for(lambda: read.total() >= 5_000, 120, "the first batches", log)
    backends.crash_broker(DOWN_S)  # in the middle of the stream, so of a transaction
    back = time.monotonic()

    restarts: list[tuple[float, int]] = []  # when, after the broker's return, and the code

    def supervised_done() -> bool:
        nonlocal service
        if service.poll() is not None:  # stopped by itself: started again (make up, compose, k8s)
            restarts.append((round(time.monotonic() - back, 1), service.returncode))
            service = start()
        try:
            return read.total() >= EVENTS
        except KafkaException:  # the coordinator still loading after the restart
            return False

    try:
        wait_for(supervised_done, RECOVERY_S, f"all {EVENTS:,} events after the outage", log)
    finally:
        read.close()
        service.terminate()
        try:
            stopped = service.wait(40)
        except subprocess.TimeoutExpired as hung:
            service.kill()  # never leave a hung service behind a failed test
            service.wait()
            raise AssertionError("SIGTERM unanswered for 40 s: the service was killed") from hung
    assert stopped == 0, "SIGTERM answered, and a clean stop"
    print(f"\nrestarts after the broker came back (s, exit code): {restarts}")
    assert all(code != 0 for _, code in restarts), "a stage stops on its own only on failure"
    got = read_features(kafka, schema_registry, pipeline)
    assert len(got) == EVENTS, "a record was lost or written twice"
    assert len({r["event_id"] for r in got}) == EVENTS
