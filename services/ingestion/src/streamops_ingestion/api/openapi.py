"""The OpenAPI 3.1 document of the HTTP API, served at ``/openapi.json``.

Built from the pipelines the service ingests and its settings, so it says exactly what
this process does: the event body of each pipeline (`event_schema`), the batch limit,
whether a bearer token is needed, and every status a handler answers with its body.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import version
from typing import Any

from streamops.events.errors import REASONS
from streamops.events.json_schema import JsonSchema, event_json_schema
from streamops.pipeline import Pipeline
from streamops_ingestion.settings import IngestionSettings

_JSON = "application/json"
_TEXT = "text/plain"


def _ref(name: str) -> JsonSchema:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(required: Mapping[str, Any], optional: Mapping[str, Any] | None = None) -> JsonSchema:
    """A JSON object with exactly these properties, ``required`` ones always present."""
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": list(required),
        "additionalProperties": False,
    }


def _list(item: JsonSchema) -> JsonSchema:
    return {"type": "array", "items": item}


_STRING = {"type": "string"}
_INDEX = {"type": "integer", "minimum": 0}
_SCHEMAS: dict[str, JsonSchema] = {
    "Error": _object({"error": _STRING}),
    "FieldError": _object(
        {
            "field": {"type": ["string", "null"]},
            "reason": {"type": "string", "enum": list(REASONS)},
            "message": _STRING,
        }
    ),
    "Accepted": _object({"index": _INDEX, "id": _STRING}),
    "RejectedItem": _object({"index": _INDEX, "errors": _list(_ref("FieldError"))}),
    "FailedItem": _object({"index": _INDEX, "id": _STRING, "error": _STRING}),
    "EventAccepted": _object({"id": _STRING}),
    "EventRejected": _object({"error": _STRING, "errors": _list(_ref("FieldError"))}),
    "EventNotTaken": _object({"error": _STRING}, {"waiting_for": _list(_STRING), "id": _STRING}),
    "BatchAccepted": _object(
        {"accepted": _list(_ref("Accepted")), "rejected": _list(_ref("RejectedItem"))}
    ),
    "BatchRejected": _object(
        {"error": _STRING},
        {"accepted": {"type": "array", "maxItems": 0}, "rejected": _list(_ref("RejectedItem"))},
    ),
    "BatchNotTaken": _object(
        {"error": _STRING},
        {
            "waiting_for": _list(_STRING),
            "accepted": _list(_ref("Accepted")),
            "rejected": _list(_ref("RejectedItem")),
            "failed": _list(_ref("FailedItem")),
        },
    ),
    "Readiness": _object({"ready": {"type": "boolean"}}, {"waiting_for": _list(_STRING)}),
}


def _answer(description: str, schema: str, headers: Mapping[str, str] | None = None) -> JsonSchema:
    answer: JsonSchema = {"description": description, "content": {_JSON: {"schema": _ref(schema)}}}
    if headers:
        answer["headers"] = {
            name: {"description": text, "schema": _STRING} for name, text in headers.items()
        }
    return answer


def _text(description: str) -> JsonSchema:
    return {"description": description, "content": {_TEXT: {"schema": _STRING}}}


def openapi_document(
    pipelines: Mapping[str, Pipeline], settings: IngestionSettings
) -> dict[str, Any]:
    """The OpenAPI document of a service ingesting ``pipelines`` with ``settings``."""
    schemas = dict(_SCHEMAS)
    for name, pipeline in pipelines.items():
        schemas[f"{name}.Event"] = event_json_schema(pipeline)
    events = [_ref(f"{name}.Event") for name in pipelines]
    event = events[0] if len(events) == 1 else {"anyOf": events}
    # items are taken one by one: the batch is written if at least one of them is an event
    batch = {
        "type": "array",
        "contains": event,
        "maxItems": settings.max_batch_events,
        "description": "Events, each checked on its own: those that do not fit come back in "
        "rejected, and at least one must fit.",
    }
    secured = settings.api_token is not None
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "streamops ingestion",
            "version": version("streamops-ingestion"),
            "description": "Events into {pipeline}.events.raw, checked against the pipeline's "
            "Avro event schema. A 202 means Kafka acknowledged the events.",
        },
        "paths": {
            "/v1/pipelines/{pipeline}/events": {
                "post": _post(
                    "post_event",
                    "One event; 202 with its id once Kafka acknowledged it.",
                    event,
                    "EventAccepted",
                    "EventRejected",
                    "EventNotTaken",
                    list(pipelines),
                    secured,
                )
            },
            "/v1/pipelines/{pipeline}/events:batch": {
                "post": _post(
                    "post_batch",
                    "Several events, accepted or rejected one by one: 202 when at least one "
                    "was written (look at rejected), 422 when none was.",
                    {"oneOf": [batch, _object({"events": batch})]},
                    "BatchAccepted",
                    "BatchRejected",
                    "BatchNotTaken",
                    list(pipelines),
                    secured,
                )
            },
            "/healthz": {"get": _get("healthz", {"200": _text("The process answers: ok.")})},
            "/readyz": {
                "get": _get(
                    "readyz",
                    {
                        "200": _answer("Ready to take events.", "Readiness"),
                        "503": _answer("Not ready: waiting_for says why.", "Readiness"),
                    },
                )
            },
            "/metrics": {"get": _get("metrics", {"200": _text("Prometheus text format.")})},
            "/openapi.json": {
                "get": _get(
                    "openapi",
                    {
                        "200": {
                            "description": "This document.",
                            "content": {_JSON: {"schema": {"type": "object"}}},
                        }
                    },
                )
            },
        },
        "components": {"schemas": schemas},
    }
    if secured:
        document["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    return document


def _post(
    operation: str,
    summary: str,
    body: JsonSchema,
    accepted: str,
    rejected: str,
    not_taken: str,
    pipelines: list[str],
    secured: bool,
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "202": _answer("Written: Kafka acknowledged the events.", accepted),
        "400": _answer("The body is not JSON: not UTF-8, empty, malformed, NaN.", "Error"),
        "404": _answer("This service does not ingest that pipeline.", "Error"),
        "413": _answer("The body, or the number of events, is over the limit.", "Error"),
        "422": _answer("Nothing fits the schema; errors name each field.", rejected),
        "503": _answer(
            "Not ready (Retry-After), or Kafka did not acknowledge in time; resend the "
            "events with the same ids.",
            not_taken,
            {"Retry-After": "Seconds to wait when not ready yet."},
        ),
    }
    if secured:
        responses["401"] = _answer(
            "Missing or wrong bearer token.",
            "Error",
            {"WWW-Authenticate": "Bearer"},
        )
    post: dict[str, Any] = {
        "operationId": operation,
        "summary": summary,
        "parameters": [
            {
                "name": "pipeline",
                "in": "path",
                "required": True,
                "description": "The pipeline; others are answered 404.",
                "schema": {"type": "string", "enum": pipelines},
            }
        ],
        "requestBody": {"required": True, "content": {_JSON: {"schema": body}}},
        "responses": dict(sorted(responses.items())),
    }
    if secured:
        post["security"] = [{"bearer": []}]
    return post


def _get(operation: str, responses: dict[str, Any]) -> dict[str, Any]:
    return {"operationId": operation, "responses": responses}
