"""A small ASGI application: whole-body requests, routes by path pattern, plain responses.

Serving's routes are few and its answers take ~100 µs, so a framework's per-request cost
would be most of the time; this module is the part of one that serving needs. Handlers
are synchronous (scoring does not wait on I/O) and run on the event loop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import orjson

log = logging.getLogger("streamops.serving")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
JSON = b"application/json"


class HttpError(Exception):
    """An answer other than success, with its status and message (a 4xx names the fault)."""

    def __init__(
        self,
        status: int,
        message: str,
        headers: dict[bytes, bytes] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        #: more of the body beside ``error``, e.g. REST's list of field errors
        self.extra = extra or {}

    def response(self) -> Response:
        """``{"error": message, ...}``: the V2 protocol's error body, used by every route."""
        body = orjson.dumps({"error": self.message, **self.extra})
        return Response(self.status, body, JSON, self.headers)


@dataclass(slots=True)
class Request:
    """One HTTP request with its whole body; ``params`` are the route's path parts."""

    method: str
    path: str
    headers: dict[bytes, bytes]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def header(self, name: bytes) -> bytes | None:
        return self.headers.get(name)


@dataclass(slots=True)
class Response:
    status: int
    body: bytes
    content_type: bytes = JSON
    headers: dict[bytes, bytes] = field(default_factory=dict)


def json_response(data: Any, status: int = 200) -> Response:
    return Response(status, orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY))


#: A route's handler: the response, or (routes that score) a coroutine that gives it.
Handler = Callable[[Request], Response | Awaitable[Response]]
#: (route name, handler, path parameters) for a method and path; None when nothing matches.
Router = Callable[[str, str], tuple[str, Handler, dict[str, str]] | None]
Observe = Callable[[str, int, float], None]


class App:
    """The ASGI callable: reads the body, finds the route, answers; errors as the route says."""

    def __init__(
        self,
        router: Router,
        observe: Observe,
        max_body_bytes: int,
        on_startup: Callable[[], None] | None = None,
        on_shutdown: Callable[[], None] | None = None,
    ) -> None:
        self.router, self.observe, self.max_body_bytes = router, observe, max_body_bytes
        self.on_startup, self.on_shutdown = on_startup, on_shutdown

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        method, path = scope["method"], scope["path"]
        found = self.router(method, path)
        headers = dict(scope["headers"])
        request = Request(method, path, headers, b"")
        if found is None:
            message = f"no route {method} {path}; the API is described at /openapi.json"
            route, response = "unknown", HttpError(404, message).response()
        else:
            route, handler, request.params = found
            try:
                request.body = await self._body(headers, receive)
                answered = handler(request)
                response = answered if isinstance(answered, Response) else await answered
            except HttpError as exc:
                response = exc.response()
            except Exception:
                log.exception("%s %s failed", method, path)
                response = HttpError(500, "internal error, see the service log").response()
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [
                    (b"content-type", response.content_type),
                    (b"content-length", str(len(response.body)).encode()),
                    *response.headers.items(),
                ],
            }
        )
        await send({"type": "http.response.body", "body": response.body})
        self.observe(route, response.status, time.perf_counter() - started)

    async def _body(self, headers: dict[bytes, bytes], receive: Receive) -> bytes:
        declared = headers.get(b"content-length")
        limit = self.max_body_bytes
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise HttpError(413, f"the body is larger than {limit} bytes")
        message = await receive()
        body = message.get("body", b"")
        if not message.get("more_body"):
            return bytes(body)
        chunks = [body]
        size = len(body)
        while message.get("more_body"):
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise HttpError(413, f"the body is larger than {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    if self.on_startup is not None:
                        self.on_startup()
                except Exception as exc:
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.on_shutdown is not None:
                    self.on_shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return
