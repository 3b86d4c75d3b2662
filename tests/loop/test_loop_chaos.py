"""The closed loop of test_closed_loop.py with each service and the broker killed
(kill -9) once while it works, and started again: the loop still closes and nothing is
lost or doubled.

`make loop` runs it (and `.ci/run` after `make test`). Here the transactions enter where
a producer writes them, `{p}.events.raw` and `{p}.labels` (with a few records that are not
Avro at all), so validation runs too. The broker is the session's when the suite started
it (CI always does); otherwise (a developer's `make up` broker, the environment's, a
container) the test starts a private broker and registry to crash, and leaves that one alone.

Asserted: the first model and a retrain promoted by training, a retrained version (2, or
a later one) serving the new tactics; every raw event either valid or dead-lettered
(raw = valid + dlq, the garbage in the DLQ); every features record and every champion
prediction once per valid event (no event lost, none scored twice by one version); the
registry as a fresh reader rebuilds it from the log equals what training and serving hold.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Producer

from streamops_examples.fraud.compressed import LABEL_DELAY_MS, ON_ALERTS_ONLY
from streamops_examples.fraud.generator import Generated
from tests.loop.test_closed_loop import (
    DRIFTED,
    FIRST,
    MODEL,
    SERVICES,
    STABLE,
    TIMEOUT_S,
    _champion,
    transactions,  # noqa: F401 (a fixture)
)
from tests.support.backends import Backends
from tests.support.loop import Loop, running, wait
from tests.support.monitoring import produce_events_and_labels
from tests.support.pipelines import private_pipeline

GARBAGE = 25  # records on events.raw that are not Avro: each must reach the DLQ


@pytest.fixture
def loop(tmp_path: Path, crashable_backends: Backends) -> Iterator[Loop]:
    pipeline = private_pipeline(tmp_path, "chaos", ON_ALERTS_ONLY)
    services = ("validation", *SERVICES)
    kafka, registry = crashable_backends.bootstrap_servers, crashable_backends.schema_registry_url
    with running(tmp_path, kafka, registry, pipeline, services) as started:
        yield started


def _crash(loop: Loop, service: str) -> None:
    """kill -9 ``service`` and start it again at once, as an orchestrator would."""
    loop.kill(service)
    loop.start(service)


def _feed(loop: Loop, rows: list[Generated]) -> None:
    produce_events_and_labels(
        loop.kafka, loop.registry, loop.pipeline, rows, LABEL_DELAY_MS, raw=True
    )


def _garbage(loop: Loop) -> None:
    producer = Producer({"bootstrap.servers": loop.kafka})
    for i in range(GARBAGE):
        producer.produce(loop.names.events_raw, b"not avro %d" % i, key=b"card-000000")
    assert producer.flush(30) == 0


def test_the_loop_closes_with_each_service_and_the_broker_killed_once(
    loop: Loop,
    crashable_backends: Backends,
    transactions: list[Generated],  # noqa: F811 (the fixture)
) -> None:
    names = loop.names
    first = transactions[:FIRST]
    drifting = transactions[FIRST : FIRST + STABLE + DRIFTED]
    after = transactions[FIRST + STABLE + DRIFTED :]

    _feed(loop, first[: FIRST // 2])
    time.sleep(2)
    _crash(loop, "features")  # in the middle of the first hours
    _feed(loop, first[FIRST // 2 :])
    wait("the first champion", lambda: _champion(loop, 1), loop, TIMEOUT_S)
    _crash(loop, "serving")  # while it scores the history with version 1

    half = len(drifting) // 2
    _feed(loop, drifting[:half])
    time.sleep(2)
    _crash(loop, "monitoring")  # while it judges the drift
    _crash(loop, "training")  # while it may be training on it
    _feed(loop, drifting[half:])
    assert crashable_backends.crash_broker is not None
    crashable_backends.crash_broker()  # under every service at once, the registry's too
    _garbage(loop)
    wait("a second champion", lambda: _champion(loop, 2), loop, TIMEOUT_S)
    _feed(loop, after[: len(after) // 2])
    _crash(loop, "validation")  # while it validates the new champion's traffic
    _feed(loop, after[len(after) // 2 :])

    ids = [g.event["transaction_id"] for g in transactions]
    raw = loop.count(names.events_raw)
    assert raw == len(ids) + GARBAGE
    sorted_out = wait(
        "every raw event valid or dead-lettered",
        lambda: (
            (n := (loop.count(names.events_valid), loop.count(names.events_dlq)))
            and sum(n) >= raw
            and n
        ),
        loop,
        TIMEOUT_S,
    )
    assert sorted_out == (len(ids), GARBAGE)  # raw = valid + dlq, nothing doubled
    features = wait(
        "a features record per event",
        lambda: (found := loop.records(names.features)) and len(found) >= len(ids) and found,
        loop,
        TIMEOUT_S,
    )
    assert Counter(r["event_id"] for r in features) == Counter(ids)

    def scored() -> list[dict[str, object]] | None:
        champion = [p for p in loop.records(names.predictions) if p["served_by"] == "CHAMPION"]
        return champion if {p["event_id"] for p in champion} >= set(ids) else None

    predictions = wait("a prediction per event", scored, loop, TIMEOUT_S)
    by_version = Counter((p["event_id"], p["model_version"]) for p in predictions)
    assert [k for k, n in by_version.items() if n > 1] == []
    # the new tactics scored by a retrained champion: version 2, or a later one when the
    # first retrain came on ordinary traffic (a MODEL_PERFORMANCE alert on noise) and
    # the drift then asked for another
    last = {p["model_version"] for p in predictions if p["event_id"] == ids[-1]}
    assert len(last) == 1 and min(last) >= 2, last

    # the registry: what a fresh reader rebuilds from the log is what the restarted
    # services hold
    rebuilt = loop.model(MODEL)
    assert rebuilt is not None and rebuilt["champion"] >= 2
    held = {
        "training": r"streamops_training_champion_version\{[^}]*\} (\S+)",
        "serving": r'streamops_serving_model_version\{[^}]*role="CHAMPION"[^}]*\} (\S+)',
    }

    def holding() -> bool:
        found = {s: re.search(pattern, loop.metrics(s)) for s, pattern in held.items()}
        return all(f and float(f.group(1)) == rebuilt["champion"] for f in found.values())

    wait(f"training and serving holding v{rebuilt['champion']}", holding, loop, 60)
    print(
        f"\nchaos: raw {raw:,} = valid {sorted_out[0]:,} + dlq {sorted_out[1]:,}; "
        f"{len(features):,} features records, {len(by_version):,} champion predictions "
        f"(event, version); restarted by the supervisor (exited, or /healthz failing): "
        f"{dict(loop.restarts)}; broker crashed once"
    )
