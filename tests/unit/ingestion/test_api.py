"""The HTTP API with an in-memory producer: status codes, field-level errors, what is produced."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from streamops_ingestion.api import app as app_module
from streamops_ingestion.api.app import create_app
from streamops_ingestion.api.state import Ingestion
from streamops_ingestion.settings import IngestionSettings
from tests.unit.events.samples import transaction
from tests.unit.ingestion.fakes import FakeProducer, fraud_target

EVENTS = "/v1/pipelines/fraud/events"
BATCH = "/v1/pipelines/fraud/events:batch"
TOKEN = "token-0123456789abcdef"


class Service:
    """An app over a fake producer, and what it produced."""

    def __init__(self, mode: str = "ack", **settings: Any) -> None:
        self.settings = IngestionSettings(**settings)
        target, self.encoder = fraud_target(self.settings)
        self.producer = FakeProducer(mode)  # type: ignore[arg-type]
        self.state = Ingestion(self.producer, self.settings, targets={"fraud": target})
        self.client = TestClient(create_app(self.state))

    def produced(self) -> list[dict[str, Any]]:
        assert all(p.topic == "fraud.events.raw" for p in self.producer.published)
        return [self.encoder.decode(p.value) for p in self.producer.published]


@pytest.fixture
def service() -> Iterator[Service]:
    yield Service()


def test_an_event_is_produced_and_its_id_returned(service: Service) -> None:
    response = service.client.post(EVENTS, json=transaction())
    assert response.status_code == 202, response.text
    event_id = response.json()["id"]
    [record] = service.produced()
    assert record["transaction_id"] == event_id and event_id.startswith("tx-")
    assert record["amount"] == 12.5 and record["source"] == "http"
    assert record["customer_email"] is None and record["card_number"] != "4111111111111111"
    assert service.producer.published[0].key == "card-000042"


def test_malformed_json_is_400_with_line_and_column(service: Service) -> None:
    body = b'{\n  "card_id": "card-000001",\n  "amount" 3\n}'
    response = service.client.post(EVENTS, content=body)
    assert response.status_code == 400
    assert response.json()["error"] == (
        "malformed JSON at line 3, column 12: Expecting ':' delimiter"
    )
    assert service.producer.published == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "the body is empty: send a JSON document"),
        (b'{"amount": NaN}', "malformed JSON: NaN is not valid JSON (numbers must be finite)"),
        (b'{"a": "\xff"}', "the body is not UTF-8 (byte 7): send JSON"),
    ],
)
def test_other_unreadable_bodies_are_400(service: Service, body: bytes, message: str) -> None:
    response = service.client.post(EVENTS, content=body)
    assert (response.status_code, response.json()["error"]) == (400, message)


def test_a_schema_violation_is_422_naming_the_field(service: Service) -> None:
    response = service.client.post(EVENTS, json=transaction(amount="abc", colour="red"))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {
        "field": "amount",
        "reason": "wrong_type",
        "message": "amount: expected a number (double) or null, got 'abc'",
    } in errors
    assert [e["field"] for e in errors if e["reason"] == "unknown_field"] == ["colour"]
    assert service.producer.published == []


def test_an_array_on_the_single_endpoint_points_to_the_batch_one(service: Service) -> None:
    response = service.client.post(EVENTS, json=[transaction()])
    assert response.status_code == 422
    assert "events:batch" in response.json()["error"]
    assert response.json()["errors"][0]["reason"] == "not_an_object"


def test_an_unknown_pipeline_is_404(service: Service) -> None:
    response = service.client.post("/v1/pipelines/payments/events", json=transaction())
    assert response.status_code == 404
    assert response.json()["error"] == "unknown pipeline 'payments'; this service ingests: fraud"


def test_a_batch_is_accepted_item_by_item(service: Service) -> None:
    items = [transaction(), transaction(amount="abc"), transaction(card_id="card-000007"), 5]
    response = service.client.post(BATCH, json=items)
    assert response.status_code == 202, response.text
    body = response.json()
    assert [a["index"] for a in body["accepted"]] == [0, 2]
    assert [
        (r["index"], r["errors"][0]["field"], r["errors"][0]["reason"]) for r in body["rejected"]
    ] == [(1, "amount", "wrong_type"), (3, None, "not_an_object")]
    records = service.produced()
    assert [r["transaction_id"] for r in records] == [a["id"] for a in body["accepted"]]
    assert [r["card_id"] for r in records] == ["card-000042", "card-000007"]


def test_a_batch_may_be_wrapped_in_an_events_object(service: Service) -> None:
    response = service.client.post(BATCH, json={"events": [transaction(), transaction()]})
    assert response.status_code == 202
    assert len(response.json()["accepted"]) == 2 and len(service.produced()) == 2


def test_a_batch_with_no_valid_event_is_422(service: Service) -> None:
    response = service.client.post(BATCH, json=[transaction(event_time="soon")])
    assert response.status_code == 422
    assert response.json()["rejected"][0]["errors"][0]["field"] == "event_time"
    assert service.producer.published == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "the batch is empty"),
        ({"event": []}, 'a batch is a JSON array of events or {"events": [...]}'),
    ],
)
def test_a_batch_of_the_wrong_shape_is_422(service: Service, body: Any, message: str) -> None:
    response = service.client.post(BATCH, json=body)
    assert (response.status_code, response.json()["error"]) == (422, message)


def test_too_many_events_are_413() -> None:
    service = Service(max_batch_events=2)
    response = service.client.post(BATCH, json=[transaction()] * 3)
    assert response.status_code == 413
    assert "STREAMOPS_INGESTION_MAX_BATCH_EVENTS" in response.json()["error"]
    assert service.producer.published == []


def test_too_large_bodies_are_413_with_or_without_a_length() -> None:
    service = Service(max_body_bytes=1024)
    big = json.dumps(transaction(merchant_category="x" * 2000)).encode()
    assert service.client.post(EVENTS, content=big).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
        yield big[:600]
        yield big[600:]

    response = service.client.post(EVENTS, content=chunks())
    assert response.status_code == 413
    assert "STREAMOPS_INGESTION_MAX_BODY_BYTES" in response.json()["error"]
    assert service.producer.published == []


def test_a_configured_token_is_required() -> None:
    service = Service(api_token=TOKEN)
    assert service.client.post(EVENTS, json=transaction()).status_code == 401
    wrong = service.client.post(
        EVENTS, json=transaction(), headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == "Bearer"
    assert service.client.post("/v1/pipelines/x/events", json={}).status_code == 401
    good = service.client.post(
        EVENTS, json=transaction(), headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert good.status_code == 202
    assert service.client.get("/healthz").status_code == 200  # probes need no token
    assert len(service.producer.published) == 1


def test_kafka_refusing_the_events_is_503_with_the_ids() -> None:
    service = Service("fail")
    response = service.client.post(BATCH, json=[transaction(), transaction(amount=None)])
    assert response.status_code == 503
    body = response.json()
    assert body["accepted"] == [] and [f["index"] for f in body["failed"]] == [0, 1]
    assert all(f["id"].startswith("tx-") and "timed out" in f["error"] for f in body["failed"])
    single = service.client.post(EVENTS, json=transaction())
    assert single.status_code == 503 and single.json()["id"].startswith("tx-")


@pytest.mark.parametrize("mode", ["silent", "full"])
def test_kafka_not_answering_in_time_is_503(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_module, "DELIVERY_GRACE_S", -0.8)  # wait 0.2 s, not 3 s
    service = Service(mode, delivery_timeout_s=1)
    response = service.client.post(EVENTS, json=transaction())
    assert response.status_code == 503
    assert "Kafka did not take the event" in response.json()["error"]


def test_not_ready_until_the_pipeline_is_connected(service: Service) -> None:
    service.state.targets["fraud"] = None
    service.state.waiting_for["fraud"] = "RegistryUnavailable: connection refused"
    response = service.client.post(EVENTS, json=transaction())
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    ready = service.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["waiting_for"] == ["fraud: RegistryUnavailable: connection refused"]
    assert service.client.get("/healthz").status_code == 200


def test_ready_needs_a_reachable_broker(service: Service) -> None:
    assert service.client.get("/readyz").json() == {"ready": True}
    service.producer.is_connected = False
    response = service.client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["waiting_for"] == ["kafka: no broker reachable"]


def test_metrics_count_requests_and_events(service: Service) -> None:
    service.client.post(EVENTS, json=transaction())
    service.client.post(EVENTS, json=transaction(amount="abc"))
    service.client.post(BATCH, json=[transaction(), transaction(), transaction(card_id=None)])
    service.client.post(EVENTS, content=b"{")
    text = service.client.get("/metrics").text
    expected = [
        'streamops_ingestion_http_requests_total{code="202",endpoint="events"} 1.0',
        'streamops_ingestion_http_requests_total{code="422",endpoint="events"} 1.0',
        'streamops_ingestion_http_requests_total{code="400",endpoint="events"} 1.0',
        'streamops_ingestion_http_requests_total{code="202",endpoint="events_batch"} 1.0',
        'streamops_ingestion_events_accepted_total{pipeline="fraud"} 3.0',
        'streamops_ingestion_events_rejected_total{pipeline="fraud",reason="wrong_type"} 1.0',
        'streamops_ingestion_events_rejected_total{pipeline="fraud",reason="missing_field"} 1.0',
        'streamops_ingestion_produce_duration_seconds_count{pipeline="fraud"} 2.0',
    ]
    missing = [line for line in expected if line not in text]
    assert missing == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # found by review: each was a 500 (RecursionError; the HMAC of a PII field or the
        # error answer naming an unknown field could not encode a lone surrogate)
        (b"[" * 100_000 + b"]" * 100_000, "the JSON nests arrays or objects too deeply"),
        (b'{"card_number": "\\ud800"}', "the JSON has a lone UTF-16 surrogate escape"),
        (b'{"\\udc00": 1}', "the JSON has a lone UTF-16 surrogate escape"),
    ],
)
def test_json_no_writer_can_take_is_400(service: Service, body: bytes, message: str) -> None:
    response = service.client.post(EVENTS, content=body)
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)


def test_a_surrogate_pair_is_one_character_and_fine(service: Service) -> None:
    body = json.dumps(transaction(merchant_category="\U0001f600")).encode()
    assert b"\\ud83d\\ude00" in body
    assert service.client.post(EVENTS, content=body).status_code == 202
    assert service.produced()[0]["merchant_category"] == "\U0001f600"


def test_starlette_s_own_answers_are_json_too(service: Service) -> None:
    missing = service.client.get("/v1/nothing")
    assert (missing.status_code, missing.json()["error"]) == (
        404,
        "Not Found: GET /v1/nothing; the API is at /openapi.json",
    )
    wrong = service.client.get(EVENTS)
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "POST"
    assert wrong.json()["error"] == (
        "Method Not Allowed: GET /v1/pipelines/fraud/events (allowed: POST); "
        "the API is at /openapi.json"
    )
