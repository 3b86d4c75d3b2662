"""Request bodies: size limits, JSON with the position of a syntax error, errors as responses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from streamops.events.json_text import NotJson, strict_json


class ApiError(Exception):
    """An answer other than success: status, a message for the client, optional extra fields."""

    def __init__(
        self,
        status: int,
        message: str,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        """The JSON response: ``{"error": message, **extra}``."""
        return JSONResponse({"error": self.message, **self.extra}, self.status, self.headers)


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it is known to exceed ``limit`` bytes."""
    too_large = ApiError(
        413, f"the body is larger than {limit} bytes (STREAMOPS_INGESTION_MAX_BODY_BYTES)"
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(body: bytes) -> Any:
    """The JSON document in ``body``; 400 saying where it is malformed (line and column)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"the body is not UTF-8 (byte {exc.start}): send JSON") from exc
    if not text.strip():
        raise ApiError(400, "the body is empty: send a JSON document")
    try:
        return strict_json(text)
    except json.JSONDecodeError as exc:
        raise ApiError(
            400, f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    except NotJson as exc:
        raise ApiError(400, str(exc)) from exc
