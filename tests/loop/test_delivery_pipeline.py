"""The delivery example through the generic services, as processes on a real broker
(`make loop`).

A private copy of deploy/pipelines/delivery.yaml: food-delivery orders keyed by
restaurant, whose label is the delivery time in minutes (regression), known when the food
arrives (10 to 90 minutes later). Validation, features, training, serving (stream
scoring) and monitoring run as `make up` runs them, all started before any data. The
generator's orders come one a second of event time, written as fast as the broker takes
them, each delivery time once event time has reached it (the simulated clock at full
speed), so hours of event time pass in seconds:

1. four hours of orders, then the deliveries ended by then: training, which nobody asks,
   fits the first regression model from the delivered orders and promotes it; serving
   starts scoring with it, from the first order on. Training is then stopped, so that the
   drift below is not answered by a retrain during the test;
2. two and a half hours of ordinary orders: monitoring judges their windows against
   version 1 and finds no data or prediction drift. (Its concept detector does open, and
   resolve, a CONCEPT_DRIFT here: serving scored the history when the champion came, and
   the errors on the champion's own training rows are smaller than on new orders; see
   the delivery example's README. Not asserted either way.)
3. two hours of the rush-rain scenario (rain and storm, longer distances, bigger orders),
   then every delivery still under way: DATA_DRIFT names the weather and the distances,
   and once the rush's deliveries are known MODEL_PERFORMANCE says the MAE grew.

Asserted on what landed in the topics: every order valid, one features record each, every
delivery time a valid label, a REGRESSION version trained and promoted by the training
service, one prediction per order from the champion with a delivery time in minutes
closer to the real one than the mean is, partials judged against version 1, no data,
prediction or performance alert about the ordinary orders, and the alerts of the rush.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from streamops.registry import read_runs
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.topics import partials_topic
from streamops_examples.delivery.generator import Order, generate
from streamops_examples.delivery.scenarios import Phase, Scenario, load_scenario
from tests.support.delivery import (
    OrderFeed,
    labels_due,
    private_delivery_pipeline,
)
from tests.support.loop import Loop, ms, running, wait
from tests.support.pipelines import REPO

TRAINING, STABLE, RUSH = 14_400, 9_000, 7_200  # orders: 4 h, 2.5 h, 2 h of event time
PER_SECOND = 1.0
#: The first model learns from the orders of 1h10 to 2h30 (delivered by the cut-off at the
#: end of (1)): the stream's first hour is left out, its 1 h windows were still filling.
LOOKBACK = "170m"
TIMEOUT_S = 600  # generous: five services importing their stacks at once on a small machine
STEP_MS = 30 * 60_000  # delivery.yaml: drift windows of 1h every 30m
MODEL = "delivery-eta"
SERVICES = ("validation", "features", "training", "serving", "monitoring")
#: what rain, longer distances and bigger orders can move
MAY_DRIFT = ("weather", "distance_km", "items", "order_value", "vehicle")


def _scenario() -> Scenario:
    rush = load_scenario(REPO / "deploy/pipelines/scenarios/delivery-rush-rain.yaml")
    phase = rush.phases[0]
    return Scenario(
        name="rush-after-training",
        phases=[Phase(name=phase.name, start=TRAINING + STABLE, covariate=phase.covariate)],
    )


@pytest.fixture
def orders() -> list[Order]:
    """Every order of the test: ordinary ones, then the rush in the rain."""
    scenario = _scenario()
    count = TRAINING + STABLE + RUSH
    return list(generate(count, seed=5, scenario=scenario, events_per_second=PER_SECOND))


@pytest.fixture
def loop(tmp_path: Path, kafka: str, schema_registry: str, orders: list[Order]) -> Iterator[Loop]:
    """The five services on a private delivery pipeline whose first model comes once the
    orders of (1) delivered by its end are known."""
    first = orders[:TRAINING]
    due = labels_due(first, first[-1].event["event_time"])
    pipeline = private_delivery_pipeline(
        tmp_path,
        replace={
            "  min_labels: 5000": f"  min_labels: {due}",
            "    lookback: 7d": f"    lookback: {LOOKBACK}",
            "    bootstrap: 500": "    bootstrap: 200",
        },
    )
    with running(tmp_path, kafka, schema_registry, pipeline, SERVICES) as loop:
        yield loop


def _champion(loop: Loop) -> dict[str, Any] | None:
    model = loop.model(MODEL)
    if model is None or model["champion"] is None:
        return None
    return {"version": model["versions"][model["champion"]], "history": model["history"]}


def test_a_regression_pipeline_in_another_domain_runs_through_every_service(
    loop: Loop, orders: list[Order]
) -> None:
    feed = OrderFeed(loop.kafka, loop.registry, loop.pipeline)
    names = loop.names
    first, ordinary, rush = (
        orders[:TRAINING],
        orders[TRAINING : TRAINING + STABLE],
        orders[TRAINING + STABLE :],
    )

    # (1) four hours of orders, then the deliveries ended by then: the training service
    # trains the first model by itself and promotes it
    feed.write(first, labels=False)
    wait(
        "the features of (1)",
        lambda: loop.count(names.features) >= TRAINING,
        loop,
        timeout_s=TIMEOUT_S,
    )
    feed.write_labels(until_ms=first[-1].event["event_time"])
    found = wait("a champion", lambda: _champion(loop), loop, timeout_s=TIMEOUT_S)
    loop.stop("training")
    version, history = found["version"], found["history"]
    assert (version["version"], version["task"]) == (1, "REGRESSION")
    assert (history[-1]["action"], history[-1]["actor"]) == ("PROMOTE", "training")
    assert version["decision_threshold"] is None
    assert {"distance_km", "weather", "count_30m", "sum_items_1h"} <= set(version["feature_names"])
    k = KafkaSettings(bootstrap_servers=loop.kafka)
    r = SchemaRegistrySettings(url=loop.registry)
    [run] = read_runs(loop.pipeline.name, k, r)
    assert (run["trigger"]["kind"], run["outcome"]) == ("NO_CHAMPION", "PROMOTED")
    gates = {g["gate"]: g["passed"] for g in run["gates"]}
    assert gates["beats_no_skill"] and gates["parity"] and all(gates.values()), run["gates"]
    assert "every_class_present" not in gates  # a regression has no classes
    window = version["training_window"]
    assert ms(window["start"]) >= first[0].event["event_time"] + 65 * 60_000  # windows full
    assert 0 < version["metrics"]["mae"] < 5, version["metrics"]  # minutes, on the holdout

    # (2) ordinary orders: monitoring judges their windows against version 1, finds nothing
    feed.write(ordinary)
    wait(
        "two windows of ordinary orders judged",
        lambda: _judged(loop) >= 2,
        loop,
        timeout_s=TIMEOUT_S,
    )
    partials = loop.records(partials_topic(names.stage("monitoring")).name, 1)
    assert any(p["model_version"] == 1 and p["features"] for p in partials)
    raised = [a for a in loop.records(names.alerts, 1) if a["kind"] != "DATA_QUALITY"]
    drift = [a for a in raised if a["kind"] in ("DATA_DRIFT", "PREDICTION_DRIFT")]
    assert drift == [], [(a["message"], a["window"], a["details"]) for a in raised]

    # (3) the rush in the rain, then the deliveries still under way
    onset_ms: int = rush[0].event["event_time"]
    feed.write(rush)
    feed.write_labels()
    opened = wait(
        "a DATA_DRIFT alert",
        lambda: [
            a
            for a in loop.records(names.alerts, 1)
            if a["kind"] == "DATA_DRIFT" and a["state"] == "OPEN"
        ],
        loop,
        timeout_s=TIMEOUT_S,
    )
    named = set().union(*(set(a["details"]["features"].split(",")) for a in opened))
    assert {"weather", "distance_km"} <= named, named
    unexpected = {n for n in named if not any(k in n for k in MAY_DRIFT)}
    assert not unexpected, [
        (unexpected, a["window"], {k: v for k, v in a["details"].items() if "score:" in k})
        for a in opened
    ]
    first_end = onset_ms - onset_ms % STEP_MS + STEP_MS
    assert ms(opened[0]["window"]["end"]) <= first_end + STEP_MS  # within two windows
    # ... and once the rush's deliveries are known, the errors grew: MAE, the spec's metric
    [worse] = wait(
        "a MODEL_PERFORMANCE alert",
        lambda: [
            a
            for a in loop.records(names.alerts, 1)
            if a["kind"] == "MODEL_PERFORMANCE" and a["state"] == "OPEN"
        ],
        loop,
        timeout_s=TIMEOUT_S,
    )
    assert (worse["statistic"], worse["model_version"]) == ("mae", 1)
    assert worse["value"] > worse["threshold"] > version["metrics"]["mae"]
    for a in loop.records(names.alerts, 1):
        if a["kind"] in ("DATA_DRIFT", "PREDICTION_DRIFT", "MODEL_PERFORMANCE"):
            assert ms(a["window"]["end"]) > onset_ms, a["message"]  # none before the rush

    # every order valid, featured and scored by the champion, every delivery time a label
    predictions = wait(
        "a prediction per order",
        lambda: loop.count(names.predictions) >= len(orders) and loop.records(names.predictions),
        loop,
        timeout_s=TIMEOUT_S,
    )
    assert loop.count(names.events_valid) == len(orders)
    assert loop.count(names.events_dlq) == 0
    assert loop.count(names.labels_valid) == feed.labels_written == len(orders)
    assert loop.count(names.features) == len(orders)
    minutes = {o.event["order_id"]: o.minutes for o in orders}
    assert sorted(p["event_id"] for p in predictions) == sorted(minutes)
    for p in predictions:
        assert (p["model_name"], p["model_version"], p["served_by"]) == (MODEL, 1, "CHAMPION")
        assert p["source"] == "STREAM" and p["predicted_label"] is None and not p["probabilities"]
        assert math.isfinite(p["score"]) and 5 < p["score"] < 120, p
    # on the ordinary orders after training the model knows what a delivery takes
    scores = {p["event_id"]: p["score"] for p in predictions}
    after = [o.event["order_id"] for o in ordinary]
    mean = sum(minutes[i] for i in after) / len(after)
    no_skill = sum(abs(minutes[i] - mean) for i in after) / len(after)
    assert sum(abs(scores[i] - minutes[i]) for i in after) / len(after) < 0.75 * no_skill


def _judged(loop: Loop) -> float:
    """Data windows monitoring has judged so far (its /metrics)."""
    found = re.search(
        r'streamops_monitoring_windows_judged_total\{pipeline="[^"]+",what="data"\} (\S+)',
        loop.metrics("monitoring"),
    )
    return float(found.group(1)) if found else 0.0
