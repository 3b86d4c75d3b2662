"""The OpenAPI document: the event body derived from the Avro schema, every status with its
body, and every answer of the app (those the broker-free app can give) fitting it."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import schemathesis
from starlette.testclient import TestClient

from streamops.events.json_schema import event_json_schema
from streamops_ingestion.api.app import create_app
from streamops_ingestion.api.openapi import openapi_document
from streamops_ingestion.api.state import Ingestion
from streamops_ingestion.settings import IngestionSettings
from tests.unit.events.samples import fraud_pipeline, transaction
from tests.unit.ingestion.fakes import FakeProducer, fraud_target

TOKEN = "token-0123456789abcdef"
EVENTS = "/v1/pipelines/{pipeline}/events"
BATCH = "/v1/pipelines/{pipeline}/events:batch"


def fraud_document(**settings: Any) -> dict[str, Any]:
    return openapi_document({"fraud": fraud_pipeline()}, IngestionSettings(**settings))


def test_the_event_body_is_the_avro_schema_as_json_takes_it() -> None:
    event = event_json_schema(fraud_pipeline())
    assert event["additionalProperties"] is False
    # transaction_id is required by Avro but stamped by ingestion; the rest are nullable
    assert event["required"] == ["card_id", "event_time"]
    assert event["properties"]["card_id"] == {"type": "string"}
    amount = event["properties"]["amount"]["anyOf"]
    assert amount[0]["type"] == "number" and amount[1] == {"type": "null"}
    event_time = event["properties"]["event_time"]["anyOf"]
    assert [form.get("format") for form in event_time] == ["int64", None, "date-time"]
    assert "null" not in str(event_time)  # not nullable
    stamped = event["properties"]["transaction_id"]
    assert stamped["anyOf"] == [{"type": "string"}, {"type": "null"}]
    assert "Stamped" in stamped["description"]


def test_every_avro_type_has_its_json_form() -> None:
    pipeline = fraud_pipeline()
    fields = [
        *pipeline.event_schema["fields"],
        {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["a", "b"]}},
        {"name": "again", "type": ["null", "Kind"], "default": None},
        {"name": "count", "type": "int", "default": 0},
        {"name": "ratio", "type": "float"},
        {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
        {"name": "scores", "type": {"type": "map", "values": "double"}, "default": {}},
        {"name": "blob", "type": ["null", "bytes"], "default": None},
        {
            "name": "where",
            "type": {
                "type": "record",
                "name": "Where",
                "fields": [
                    {"name": "city", "type": "string"},
                    {"name": "zip", "type": ["null", "string"]},
                    {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
                ],
            },
        },
    ]
    schema = {**pipeline.event_schema, "fields": fields}
    properties = event_json_schema(dataclasses.replace(pipeline, event_schema=schema))["properties"]
    assert properties["kind"] == {"type": "string", "enum": ["a", "b"]}
    assert properties["again"]["anyOf"][0] == {"type": "string", "enum": ["a", "b"]}
    assert properties["count"] == {
        "type": "integer",
        "format": "int32",
        "minimum": -(2**31),
        "maximum": 2**31 - 1,
    }
    assert properties["ratio"]["maximum"] == pytest.approx(3.4028234663852886e38)
    assert properties["tags"] == {"type": "array", "items": {"type": "string"}}
    assert properties["scores"]["additionalProperties"]["type"] == "number"
    assert properties["blob"]["anyOf"][0]["not"] == {}  # JSON has no bytes
    where = properties["where"]
    assert where["required"] == ["city", "at"] and where["properties"]["at"]["format"] == "int64"


def test_every_status_a_handler_answers_is_documented() -> None:
    open_paths = fraud_document()["paths"]
    for path in (EVENTS, BATCH):
        assert sorted(open_paths[path]["post"]["responses"]) == [
            "202",
            "400",
            "404",
            "413",
            "422",
            "503",
        ]
        assert "security" not in open_paths[path]["post"]
    secured = fraud_document(api_token=TOKEN)
    assert "401" in secured["paths"][EVENTS]["post"]["responses"]
    assert secured["paths"][BATCH]["post"]["security"] == [{"bearer": []}]
    assert secured["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    batch = secured["paths"][BATCH]["post"]["requestBody"]["content"]["application/json"]
    assert batch["schema"]["oneOf"][0]["maxItems"] == 1000
    assert batch["schema"]["oneOf"][0]["contains"] == {"$ref": "#/components/schemas/fraud.Event"}


def test_the_app_serves_the_document() -> None:
    settings = IngestionSettings()
    document = fraud_document()
    state = Ingestion(FakeProducer(), settings, targets={"fraud": None})
    client = TestClient(create_app(state, openapi=document))
    response = client.get("/openapi.json")
    assert response.status_code == 200 and response.json() == document


@pytest.fixture
def conforming() -> tuple[TestClient, Ingestion, schemathesis.BaseSchema]:
    """An app with a token and small limits, and its document as schemathesis reads it."""
    settings = IngestionSettings(api_token=TOKEN, max_batch_events=2, max_body_bytes=2048)
    target, _ = fraud_target(settings)
    state = Ingestion(FakeProducer(), settings, targets={"fraud": target})
    document = openapi_document({"fraud": fraud_pipeline()}, settings)
    return (
        TestClient(create_app(state, openapi=document)),
        state,
        schemathesis.openapi.from_dict(document),
    )


AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.mark.parametrize(
    ("path", "body", "headers", "status"),
    [
        (EVENTS, transaction(), AUTH, 202),
        (EVENTS, transaction(), {}, 401),
        (EVENTS, b"{", AUTH, 400),
        (EVENTS, transaction(merchant_category="x" * 3000), AUTH, 413),
        (EVENTS, transaction(amount="abc", colour=1), AUTH, 422),
        (BATCH, [transaction(), transaction(amount="abc")], AUTH, 202),
        (BATCH, [transaction()] * 3, AUTH, 413),
        (BATCH, [transaction(amount="abc")], AUTH, 422),
        (BATCH, {"no": "events"}, AUTH, 422),
    ],
)
def test_every_answer_fits_the_document(
    conforming: tuple[TestClient, Ingestion, schemathesis.BaseSchema],
    path: str,
    body: Any,
    headers: dict[str, str],
    status: int,
) -> None:
    client, _, schema = conforming
    url = path.format(pipeline="fraud")
    if isinstance(body, bytes):
        response = client.post(url, content=body, headers=headers)
    else:
        response = client.post(url, json=body, headers=headers)
    assert response.status_code == status, response.text
    schema[path]["POST"].validate_response(response)


def test_unknown_pipelines_and_not_ready_fit_the_document(
    conforming: tuple[TestClient, Ingestion, schemathesis.BaseSchema],
) -> None:
    client, state, schema = conforming
    unknown = client.post("/v1/pipelines/other/events:batch", json=[transaction()], headers=AUTH)
    assert unknown.status_code == 404
    schema[BATCH]["POST"].validate_response(unknown)
    state.targets["fraud"] = None
    for path in (EVENTS, BATCH):
        waiting = client.post(path.format(pipeline="fraud"), json=transaction(), headers=AUTH)
        assert waiting.status_code == 503 and waiting.headers["Retry-After"] == "5"
        schema[path]["POST"].validate_response(waiting)
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503
    schema["/readyz"]["GET"].validate_response(not_ready)


def test_kafka_not_acknowledging_fits_the_document(
    conforming: tuple[TestClient, Ingestion, schemathesis.BaseSchema],
) -> None:
    client, state, schema = conforming
    state.producer.mode = "fail"  # type: ignore[attr-defined]
    single = client.post(EVENTS.format(pipeline="fraud"), json=transaction(), headers=AUTH)
    batch = client.post(BATCH.format(pipeline="fraud"), json=[transaction()], headers=AUTH)
    assert (single.status_code, batch.status_code) == (503, 503)
    schema[EVENTS]["POST"].validate_response(single)
    schema[BATCH]["POST"].validate_response(batch)
