"""The closed loop of test_closed_loop.py with each service killed (kill -9) once while it
works, and started again: the loop still closes and nothing is lost or doubled.

`make loop` runs it (and `.ci/run` after `make test`). The broker is not killed here: the
suite shares one broker and registry per session (the runtime's own tests cover a broker
crash under exactly-once).

Asserted: the first model and a retrain promoted by training, version 2 serving the new
tactics; every features record and every champion prediction once per event (no event
lost, none scored twice by one version); the registry as a fresh reader rebuilds it from
the log equals what the training service holds.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamops_examples.fraud.generator import Generated
from tests.loop.test_closed_loop import (
    DRIFTED,
    FIRST,
    MODEL,
    REPLACE,
    SERVICES,
    STABLE,
    TIMEOUT_S,
    _champion,
    _feed,
    transactions,  # noqa: F401 (a fixture)
)
from tests.support.loop import Loop, running, wait
from tests.support.pipelines import private_pipeline


@pytest.fixture
def loop(tmp_path: Path, kafka: str, schema_registry: str) -> Iterator[Loop]:
    pipeline = private_pipeline(tmp_path, "chaos", REPLACE)
    with running(tmp_path, kafka, schema_registry, pipeline, SERVICES) as started:
        yield started


def _crash(loop: Loop, service: str) -> None:
    """kill -9 ``service`` and start it again at once, as an orchestrator would."""
    loop.kill(service)
    loop.start(service)


def test_the_loop_closes_with_each_service_killed_once(
    loop: Loop,
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
    wait("the first champion", lambda: _champion(loop, 1), loop.log("training"), TIMEOUT_S)
    _crash(loop, "serving")  # while it scores the history with version 1

    half = len(drifting) // 2
    _feed(loop, drifting[:half])
    time.sleep(2)
    _crash(loop, "monitoring")  # while it judges the drift
    _crash(loop, "training")  # while it may be training on it
    _feed(loop, drifting[half:])
    wait("a second champion", lambda: _champion(loop, 2), loop.log("training"), TIMEOUT_S)
    _feed(loop, after)

    ids = [g.event["transaction_id"] for g in transactions]
    features = wait(
        "a features record per event",
        lambda: (found := loop.records(names.features)) and len(found) >= len(ids) and found,
        loop.log("features"),
        TIMEOUT_S,
    )
    assert Counter(r["event_id"] for r in features) == Counter(ids)

    def scored() -> list[dict[str, object]] | None:
        champion = [p for p in loop.records(names.predictions) if p["served_by"] == "CHAMPION"]
        return champion if {p["event_id"] for p in champion} >= set(ids) else None

    predictions = wait("a prediction per event", scored, loop.log("serving"), TIMEOUT_S)
    by_version = Counter((p["event_id"], p["model_version"]) for p in predictions)
    assert [k for k, n in by_version.items() if n > 1] == []
    assert {p["model_version"] for p in predictions if p["event_id"] == ids[-1]} == {2}

    # the registry: what a fresh reader rebuilds from the log is what the restarted
    # services hold
    rebuilt = loop.model(MODEL)
    assert rebuilt is not None and rebuilt["champion"] == 2
    held = {
        "training": r"streamops_training_champion_version\{[^}]*\} (\S+)",
        "serving": r'streamops_serving_model_version\{[^}]*role="CHAMPION"[^}]*\} (\S+)',
    }
    for service, pattern in held.items():
        found = re.search(pattern, loop.metrics(service))
        assert found and float(found.group(1)) == 2, (service, found)
