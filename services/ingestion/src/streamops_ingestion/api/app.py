"""The HTTP API: POST events of a pipeline, health, readiness and metrics.

- ``POST /v1/pipelines/{p}/events`` one JSON object: 202 ``{"id"}`` once Kafka acknowledged
  it, 422 ``{"errors": [...]}`` if it does not fit the schema (nothing is produced);
- ``POST /v1/pipelines/{p}/events:batch`` a JSON array or ``{"events": [...]}``, per item:
  valid events are produced, invalid ones listed with their index; 202 if at least one event
  was written, 422 if none was;
- 400 malformed JSON (line, column), 401 bad token, 404 unknown pipeline, 413 too large,
  503 not ready or Kafka did not acknowledge in time (the body lists what was written);
- ``GET /openapi.json`` the OpenAPI document of all of it (`api.openapi`).

Every error is JSON ``{"error": ...}``, Starlette's own 404 and 405 included.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from streamops.events.prepare import Rejected
from streamops_ingestion.api.bodies import ApiError, parse_json, read_body
from streamops_ingestion.api.delivery import deliver
from streamops_ingestion.api.state import Ingestion
from streamops_ingestion.target import IngestTarget, Ready

log = logging.getLogger(__name__)

HTTP_SOURCE = "http"
# librdkafka reports its own delivery timeout first; the request waits a little longer.
DELIVERY_GRACE_S = 2.0

Handler = Callable[[Request], Awaitable[Response]]


def create_app(
    state: Ingestion,
    lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]] | None = None,
    openapi: Mapping[str, Any] | None = None,
) -> Starlette:
    """The Starlette app serving ``state``; ``lifespan`` starts and stops what it needs;
    ``openapi`` is the document served at /openapi.json (`api.openapi.openapi_document`)."""
    api = _Api(state)
    routes = [
        Route(
            "/v1/pipelines/{pipeline}/events",
            api.instrument("events", api.post_event),
            methods=["POST"],
        ),
        Route(
            "/v1/pipelines/{pipeline}/events:batch",
            api.instrument("events_batch", api.post_batch),
            methods=["POST"],
        ),
        Route("/healthz", api.instrument("healthz", api.healthz), methods=["GET"]),
        Route("/readyz", api.instrument("readyz", api.readyz), methods=["GET"]),
        Route("/metrics", api.instrument("metrics", api.metrics), methods=["GET"]),
    ]
    if openapi is not None:
        document = JSONResponse(openapi)

        async def serve_openapi(request: Request) -> Response:
            """The OpenAPI document."""
            return document

        routes.append(Route("/openapi.json", api.instrument("openapi", serve_openapi)))
    handlers = {404: _http_error, 405: _http_error}
    return Starlette(routes=routes, lifespan=lifespan, exception_handlers=handlers)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own answers (no such path, method not allowed) as JSON, like every error."""
    http = exc if isinstance(exc, HTTPException) else HTTPException(500)
    message = f"{http.detail}: {request.method} {request.url.path}"
    if http.status_code == 405:
        message += f" (allowed: {(http.headers or {}).get('Allow', 'none')})"
    return JSONResponse(
        {"error": f"{message}; the API is at /openapi.json"}, http.status_code, http.headers
    )


class _Api:
    """The handlers, sharing the service state."""

    def __init__(self, state: Ingestion) -> None:
        self.state = state
        self.settings = state.settings
        token = state.settings.api_token
        self._token = token.get_secret_value().encode() if token else None

    def instrument(self, endpoint: str, handler: Handler) -> Handler:
        """``handler`` with errors turned into answers and every answer counted and timed."""

        async def instrumented(request: Request) -> Response:
            started = time.perf_counter()
            try:
                response = await handler(request)
            except ApiError as exc:
                response = exc.response()
            except Exception:
                log.exception("%s %s failed", request.method, request.url.path)
                response = JSONResponse({"error": "internal error, see the service log"}, 500)
            self.state.metrics.request(
                endpoint, response.status_code, time.perf_counter() - started
            )
            return response

        return instrumented

    async def post_event(self, request: Request) -> Response:
        """One event."""
        target = self._target(request)
        data = parse_json(await read_body(request, self.settings.max_body_bytes))
        outcome = target.process(data, source=HTTP_SOURCE)
        if isinstance(outcome, Rejected):
            self.state.metrics.rejected(target.name, outcome.reason)
            hint = (
                " (for several events POST to .../events:batch)" if isinstance(data, list) else ""
            )
            raise ApiError(
                422,
                f"the event does not fit the schema of pipeline {target.name!r}{hint}",
                {"errors": [e.to_json() for e in outcome.errors]},
            )
        [error] = await self._deliver(target, [outcome])
        if error is not None:
            raise ApiError(
                503,
                f"Kafka did not take the event: {error}; retry it (with the same id)",
                {"id": outcome.event_id},
            )
        return JSONResponse({"id": outcome.event_id}, 202)

    async def post_batch(self, request: Request) -> Response:
        """Several events, accepted or rejected one by one."""
        target = self._target(request)
        items = _batch_items(parse_json(await read_body(request, self.settings.max_body_bytes)))
        if len(items) > self.settings.max_batch_events:
            raise ApiError(
                413,
                f"{len(items)} events in one batch, more than "
                f"{self.settings.max_batch_events} "
                "(STREAMOPS_INGESTION_MAX_BATCH_EVENTS): split it",
            )
        ready: list[tuple[int, Ready]] = []
        rejected: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            outcome = target.process(item, source=HTTP_SOURCE)
            if isinstance(outcome, Rejected):
                self.state.metrics.rejected(target.name, outcome.reason)
                rejected.append({"index": index, "errors": [e.to_json() for e in outcome.errors]})
            else:
                ready.append((index, outcome))
        if not ready:
            raise ApiError(
                422,
                f"none of the {len(items)} events fits the schema of pipeline {target.name!r}",
                {"accepted": [], "rejected": rejected},
            )
        errors = await self._deliver(target, [event for _, event in ready])
        accepted = [
            {"index": i, "id": e.event_id}
            for (i, e), err in zip(ready, errors, strict=True)
            if err is None
        ]
        failed = [
            {"index": i, "id": e.event_id, "error": err}
            for (i, e), err in zip(ready, errors, strict=True)
            if err is not None
        ]
        body = {"accepted": accepted, "rejected": rejected}
        if failed:
            raise ApiError(
                503,
                f"Kafka did not take {len(failed)} of {len(ready)} valid events; "
                "retry those (with the same ids)",
                {**body, "failed": failed},
            )
        return JSONResponse(body, 202)

    async def healthz(self, request: Request) -> Response:
        """Liveness: the process answers."""
        return PlainTextResponse("ok\n")

    async def readyz(self, request: Request) -> Response:
        """Readiness: topics ensured, schemas registered, a broker reachable."""
        reasons = self.state.not_ready()
        if reasons:
            return JSONResponse({"ready": False, "waiting_for": reasons}, 503)
        return JSONResponse({"ready": True})

    async def metrics(self, request: Request) -> Response:
        """Prometheus metrics."""
        return Response(
            generate_latest(self.state.metrics.registry),
            headers={"Content-Type": CONTENT_TYPE_LATEST},
        )

    def _target(self, request: Request) -> IngestTarget:
        """The pipeline the path names, after the token check; 401, 404 or 503 otherwise."""
        if self._token is not None:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                given.strip().encode(), self._token
            ):
                raise ApiError(
                    401,
                    "missing or wrong bearer token (Authorization: Bearer ...)",
                    headers={"WWW-Authenticate": "Bearer"},
                )
        name = request.path_params["pipeline"]
        if name not in self.state.targets:
            known = ", ".join(sorted(self.state.targets))
            raise ApiError(404, f"unknown pipeline {name!r}; this service ingests: {known}")
        target = self.state.targets[name]
        if target is None or not self.state.producer.connected():
            raise ApiError(
                503,
                "not ready to take events",
                {"waiting_for": self.state.not_ready()},
                headers={"Retry-After": "5"},
            )
        return target

    async def _deliver(self, target: IngestTarget, events: list[Ready]) -> list[str | None]:
        """Produce and await acknowledgements, counting the outcome."""
        started = time.perf_counter()
        errors = await deliver(
            self.state.producer,
            target.topic,
            events,
            self.settings.delivery_timeout_s + DELIVERY_GRACE_S,
        )
        failed = sum(error is not None for error in errors)
        self.state.metrics.produced(target.name, time.perf_counter() - started)
        self.state.metrics.accepted(target.name, len(errors) - failed)
        self.state.metrics.undelivered(target.name, failed)
        return errors


def _batch_items(data: Any) -> list[Any]:
    """The events of a batch body: a JSON array or ``{"events": [...]}``; 422 otherwise."""
    if isinstance(data, dict) and set(data) == {"events"}:
        data = data["events"]
    if not isinstance(data, list):
        raise ApiError(422, 'a batch is a JSON array of events or {"events": [...]}')
    if not data:
        raise ApiError(422, "the batch is empty")
    return data
