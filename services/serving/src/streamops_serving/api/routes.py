"""Serving's routes: which handler answers a method and path, behind which token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from streamops_serving.api.asgi import Handler, HttpError, Request, Response, json_response
from streamops_serving.api.auth import Scope, Tokens
from streamops_serving.api.rest import RestRoutes
from streamops_serving.api.v2 import V2Routes
from streamops_serving.metrics import ServingMetrics

Route = tuple[str, Handler, dict[str, str]]
#: Why the server is not ready (empty when it is).
Waiting = Callable[[], list[str]]


class Routes:
    """Maps requests to handlers; the router of `streamops_serving.api.asgi.App`."""

    def __init__(
        self,
        rest: RestRoutes,
        v2: V2Routes,
        tokens: Tokens,
        alive: Callable[[], bool],
        waiting: Waiting,
        describe: Callable[[], dict[str, Any]],
        openapi: dict[str, Any],
        registry: CollectorRegistry,
        metrics: ServingMetrics,
    ) -> None:
        self.rest, self.v2, self.tokens = rest, v2, tokens
        self.alive, self.waiting, self.describe = alive, waiting, describe
        self.registry, self.metrics = registry, metrics
        self._openapi = orjson.dumps(openapi)
        # label lookups cost more than the increments: children are kept
        self._counters: dict[tuple[str, int], Any] = {}
        self._timers: dict[tuple[str, str], Any] = {}
        self._exact: dict[str, dict[str, tuple[str, Handler]]] = {
            "/healthz": {"GET": ("health", self._live)},
            "/readyz": {"GET": ("health", self._ready)},
            "/v2/health/live": {"GET": ("health", self._live)},
            "/v2/health/ready": {"GET": ("health", self._ready)},
            "/metrics": {"GET": ("metrics", self._metrics)},
            "/openapi.json": {"GET": ("openapi", self._openapi_document)},
            "/v2": {"GET": ("v2_server", v2.server_metadata)},
        }
        predict, admin = self._guard("predict"), self._guard("admin")
        self._v1: dict[str, dict[str, tuple[str, Handler]]] = {
            "predict": {"POST": ("v1_predict", predict(rest.predict))},
            "models": {"GET": ("v1_models", admin(self._models))},
        }
        self._v2: dict[str, dict[str, tuple[str, Handler]]] = {
            "": {"GET": ("v2_model", v2.model_metadata)},
            "ready": {"GET": ("v2_ready", v2.model_ready)},
            "infer": {"POST": ("v2_infer", predict(v2.infer))},
        }

    def __call__(self, method: str, path: str) -> Route | None:
        found = self._exact.get(path)
        params: dict[str, str] = {}
        if found is None:
            found, params = self._pattern(path.strip("/").split("/"))
        if found is None:
            return None
        chosen = found.get(method)
        if chosen is None:
            allowed = ", ".join(sorted(found))
            return "method_not_allowed", _not_allowed(method, path, allowed), params
        return chosen[0], chosen[1], params

    def observe(self, route: str, status: int, seconds: float) -> None:
        """Count the answer and time it, under the champion that served at the time."""
        m = self.metrics
        champion = self.v2.lineup.champion
        version = str(champion.version) if champion is not None else "none"
        counter = self._counters.get((route, status))
        if counter is None:
            counter = self._counters[(route, status)] = m.responses.labels(
                m.pipeline, route, str(status)
            )
        timer = self._timers.get((route, version))
        if timer is None:
            timer = self._timers[(route, version)] = m.request_seconds.labels(
                m.pipeline, route, version
            )
        counter.inc()
        timer.observe(seconds)

    def _pattern(
        self, parts: list[str]
    ) -> tuple[dict[str, tuple[str, Handler]] | None, dict[str, str]]:
        # /v1/pipelines/{pipeline}/{predict|models}
        if len(parts) == 4 and parts[:2] == ["v1", "pipelines"]:
            return self._v1.get(parts[3]), {"pipeline": parts[2]}
        # /v2/models/{name}[/versions/{v}][/ready|/infer]
        if len(parts) >= 3 and parts[:2] == ["v2", "models"]:
            params, rest = {"name": parts[2]}, parts[3:]
            if len(rest) >= 2 and rest[0] == "versions":
                params["version"], rest = rest[1], rest[2:]
            if len(rest) <= 1:
                return self._v2.get(rest[0] if rest else ""), params
        return None, {}

    def _guard(self, scope: Scope) -> Callable[[Handler], Handler]:
        def wrap(handler: Handler) -> Handler:
            def guarded(request: Request) -> Response | Awaitable[Response]:
                self.tokens.check(request, scope)
                return handler(request)

            return guarded

        return wrap

    def _live(self, _request: Request) -> Response:
        if not self.alive():
            return json_response({"live": False, "why": "stream scoring stopped"}, 503)
        return json_response({"live": True})

    def _ready(self, _request: Request) -> Response:
        waiting = self.waiting()
        if waiting:
            return json_response({"ready": False, "waiting_for": waiting}, 503)
        return json_response({"ready": True})

    def _metrics(self, _request: Request) -> Response:
        return Response(200, generate_latest(self.registry), CONTENT_TYPE_LATEST.encode())

    def _openapi_document(self, _request: Request) -> Response:
        return Response(200, self._openapi)

    def _models(self, request: Request) -> Response:
        if request.params["pipeline"] != self.rest.pipeline:
            raise HttpError(404, f"unknown pipeline {request.params['pipeline']!r}")
        return json_response(self.describe())


def _not_allowed(method: str, path: str, allowed: str) -> Handler:
    def handler(_request: Request) -> Response:
        raise HttpError(
            405,
            f"{method} is not allowed on {path} (allowed: {allowed})",
            {b"allow": allowed.encode()},
        )

    return handler
