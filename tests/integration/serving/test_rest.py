"""REST predictions against the real broker and registry: features from the online view,
answers as the model gives them, errors that name the field, predictions on the topic."""

from __future__ import annotations

import time

import httpx

from streamops.topics import TopicNames
from tests.integration.serving.conftest import Served
from tests.support.features_service import produce_valid, read_records


def _predict(served: Served, body: object) -> httpx.Response:
    url = f"{served.server.url}/v1/pipelines/{served.pipeline.name}/predict"
    return httpx.post(url, json=body, timeout=10)


def test_an_event_is_answered_with_the_champion_and_its_prediction_lands_on_the_topic(
    served: Served,
) -> None:
    event, champion = served.event(), served.champion
    answer = _predict(served, event)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model_version"] == champion.version and body["served_by"] == "CHAMPION"
    assert body["event_id"] == event["transaction_id"]
    assert 0.0 <= body["score"] <= 1.0
    threshold = champion.threshold  # the version's own
    assert body["label"] == ("1" if body["score"] >= threshold else "0")
    assert set(body["probabilities"]) == {"0", "1"}

    # the same event through the features service and stream scoring: the same features,
    # so the same score (no train/serve skew between the view and the service)
    produce_valid(served.kafka, served.schema_registry, served.pipeline, [event])
    topic = TopicNames(served.pipeline.name).predictions
    deadline = time.monotonic() + 60
    while True:
        found = [
            p
            for p in read_records(served.kafka, served.schema_registry, topic)
            if p["event_id"] == event["transaction_id"]
        ]
        sources = {p["source"] for p in found}
        if {"HTTP", "STREAM"} <= sources:
            break
        assert time.monotonic() < deadline, f"predictions of the event: {found}"
        time.sleep(0.5)
    by_source = {p["source"]: p for p in found}
    assert by_source["HTTP"]["prediction_id"] == body["prediction_id"]
    assert by_source["STREAM"]["prediction_id"] == body["prediction_id"]  # dedupes
    assert abs(by_source["STREAM"]["score"] - body["score"]) < 1e-6
    assert by_source["STREAM"]["feature_ref"]["topic"] == TopicNames(served.pipeline.name).features


def test_a_batch_is_answered_in_order(served: Served) -> None:
    events = [served.event() for _ in range(5)]
    answer = _predict(served, events)
    assert answer.status_code == 200, answer.text
    ids = [p["event_id"] for p in answer.json()["predictions"]]
    assert ids == [e["transaction_id"] for e in events]


def test_bad_requests_get_a_4xx_naming_what_is_wrong(served: Served) -> None:
    url = f"{served.server.url}/v1/pipelines/{served.pipeline.name}/predict"
    broken = httpx.post(url, content=b'{"amount": ', timeout=10)
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["error"]

    event = served.event()
    event["amount"] = "a lot"
    event["colour"] = "red"
    wrong = _predict(served, event)
    assert wrong.status_code == 422
    fields = {e["field"] for e in wrong.json()["errors"]}
    assert fields == {"amount", "colour"}
    assert wrong.json()["error"].startswith(("amount", "colour"))

    missing = served.event()
    del missing["card_id"]
    answer = _predict(served, missing)
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "card_id"

    batch = [served.event(), {**served.event(), "amount": None, "currency": 5}]
    answer = _predict(served, batch)
    assert answer.status_code == 422
    assert {e["index"] for e in answer.json()["errors"]} == {1}

    assert _predict(served, []).status_code == 422
    assert _predict(served, 42).status_code == 422
    other = httpx.post(f"{served.server.url}/v1/pipelines/nope/predict", json={}, timeout=10)
    assert other.status_code == 404 and served.pipeline.name in other.json()["error"]
    get = httpx.get(url, timeout=10)
    assert get.status_code == 405 and get.headers["allow"] == "POST"
    assert httpx.get(f"{served.server.url}/nowhere", timeout=10).status_code == 404
