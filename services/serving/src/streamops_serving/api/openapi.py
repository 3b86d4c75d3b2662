"""The OpenAPI document of a serving process, served at ``/openapi.json``.

The REST predict body is the pipeline's event schema as JSON Schema (the one ingestion
accepts, from `streamops.events.json_schema`); the V2 routes follow the Open Inference
Protocol's REST definitions.
"""

from __future__ import annotations

from typing import Any

from streamops.events.json_schema import event_json_schema
from streamops.pipeline import Pipeline

_ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "errors": {"type": "array"}},
    "required": ["error"],
}
_V2_TENSOR = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "datatype": {"type": "string", "enum": ["BOOL", "INT32", "INT64", "FP32", "FP64", "BYTES"]},
        "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
        "data": {"type": "array"},
    },
    "required": ["name", "datatype", "shape", "data"],
}


def _errors(*statuses: int) -> dict[str, Any]:
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {str(s): {"description": "error", "content": content} for s in statuses}


def _ok(schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}


def openapi_document(pipeline: Pipeline, model: str) -> dict[str, Any]:
    """The document for ``pipeline``'s server of ``model``."""
    event = event_json_schema(pipeline)
    answer = {
        "type": "object",
        "properties": {
            "prediction_id": {"type": "string"},
            "event_id": {"type": "string"},
            "entity_key": {"type": "string"},
            "model": {"type": "string"},
            "model_version": {"type": "integer"},
            "served_by": {"type": "string", "enum": ["CHAMPION", "CHALLENGER"]},
            "score": {"type": ["number", "null"]},
            "label": {"type": ["string", "null"]},
            "probabilities": {"type": "object", "additionalProperties": {"type": "number"}},
            "value": {"type": "number"},
        },
        "required": ["prediction_id", "event_id", "model_version", "served_by"],
    }
    answers = {
        "type": "object",
        "properties": {"predictions": {"type": "array", "items": answer}},
        "required": ["predictions"],
    }
    batch = {"type": "array", "items": event, "minItems": 1}
    secured: list[dict[str, list[str]]] = [{"bearer": []}]
    name = {
        "name": "name",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": [model]},
    }
    version = {"name": "version", "in": "path", "required": True, "schema": {"type": "string"}}
    infer = {
        "post": {
            "summary": "Open Inference Protocol infer: the event's fields or the features",
            "security": secured,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "id": {"type": "string"},
                                "inputs": {"type": "array", "items": _V2_TENSOR, "minItems": 1},
                            },
                            "required": ["inputs"],
                        }
                    }
                },
            },
            "responses": {**_ok({"type": "object"}), **_errors(400, 401, 404, 422, 503)},
        }
    }
    metadata = {"get": {"responses": {**_ok({"type": "object"}), **_errors(404, 503)}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": f"streamops serving: {pipeline.name}", "version": "0.1.0"},
        "components": {
            "schemas": {"Error": _ERROR, "Event": event},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": {
            f"/v1/pipelines/{pipeline.name}/predict": {
                "post": {
                    "summary": "Predict for one raw event (an object) or a batch (an array)",
                    "security": secured,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"anyOf": [{"$ref": "#/components/schemas/Event"}, batch]}
                            }
                        },
                    },
                    "responses": {
                        **_ok({"anyOf": [answer, answers]}),
                        **_errors(400, 401, 413, 422, 503),
                    },
                }
            },
            f"/v1/pipelines/{pipeline.name}/models": {
                "get": {
                    "summary": "The loaded line-up (admin)",
                    "security": secured,
                    "responses": {**_ok({"type": "object"}), **_errors(401, 403)},
                }
            },
            "/v2/health/live": {"get": {"responses": _ok({"type": "object"})}},
            "/v2/health/ready": {"get": {"responses": {**_ok({"type": "object"}), **_errors(503)}}},
            "/v2/models/{name}": {"parameters": [name], **metadata},
            "/v2/models/{name}/ready": {"parameters": [name], **metadata},
            "/v2/models/{name}/infer": {"parameters": [name], **infer},
            "/v2/models/{name}/versions/{version}": {"parameters": [name, version], **metadata},
            "/v2/models/{name}/versions/{version}/infer": {
                "parameters": [name, version],
                **infer,
            },
        },
    }
