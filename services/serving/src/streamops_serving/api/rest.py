"""``POST /v1/pipelines/{p}/predict``: one raw event (a JSON object) or a batch (a JSON array,
or ``{"events": [...]}``) of the pipeline's event schema; the answers in the same shape."""

from __future__ import annotations

from typing import Any

import orjson

from streamops_serving.api.asgi import HttpError, Request, Response, json_response
from streamops_serving.requests import RequestScorer
from streamops_serving.scoring import Answer


class RestRoutes:
    """The REST predict route of one pipeline."""

    def __init__(self, requests: RequestScorer, pipeline: str, max_batch: int) -> None:
        self.requests, self.pipeline, self.max_batch = requests, pipeline, max_batch

    async def predict(self, request: Request) -> Response:
        if request.params["pipeline"] != self.pipeline:
            raise HttpError(
                404,
                f"unknown pipeline {request.params['pipeline']!r}; this "
                f"server serves {self.pipeline!r}",
            )
        data = parse_json(request.body)
        request_id = _request_id(request)
        if isinstance(data, dict) and set(data) != {"events"}:
            (answer,) = await self.requests.events([data], request_id)
            return json_response(answer_json(answer))
        items = data.get("events") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise HttpError(
                422,
                'send one event (a JSON object) or a batch (a JSON array, or {"events": [...]})',
            )
        if not items:
            raise HttpError(422, "the batch is empty")
        if len(items) > self.max_batch:
            raise HttpError(
                413,
                f"the batch has {len(items)} events; at most {self.max_batch} "
                "(STREAMOPS_SERVING_MAX_BATCH)",
            )
        answers = await self.requests.events(items, request_id)
        return json_response({"predictions": [answer_json(a) for a in answers]})


def parse_json(body: bytes) -> Any:
    """The body as JSON; 400 saying where it is broken."""
    if not body:
        raise HttpError(400, "the body is empty: send the event as JSON")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise HttpError(400, f"the body is not valid JSON: {exc}") from exc


def answer_json(answer: Answer) -> dict[str, Any]:
    """One answer as the REST API returns it."""
    p = answer.prediction
    body: dict[str, Any] = {
        "prediction_id": p["prediction_id"],
        "event_id": p["event_id"],
        "entity_key": p["entity_key"],
        "model": p["model_name"],
        "model_version": p["model_version"],
        "served_by": p["served_by"],
    }
    if p["probabilities"]:
        body["score"] = p["score"]
        body["label"] = p["predicted_label"]
        body["probabilities"] = p["probabilities"]
    else:
        body["value"] = p["score"]
    return body


def _request_id(request: Request) -> str | None:
    found = request.header(b"x-request-id")
    return found.decode("utf-8", "replace")[:200] if found else None
