"""Request bodies: size limits, JSON with the position of a syntax error, errors as responses."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

# The JSON escape of a UTF-16 surrogate (d800-dfff): pairs make one character, lone ones none.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


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
        data = json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise ApiError(
            400, f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    except ValueError as exc:
        raise ApiError(400, f"malformed JSON: {exc}") from exc
    except RecursionError as exc:
        raise ApiError(400, "the JSON nests arrays or objects too deeply") from exc
    # "\ud800" is valid JSON syntax but not Unicode text: nothing can write it as UTF-8
    # (Avro, the HMAC of a PII field, the error answer that names an unknown field)
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(data):
        raise ApiError(400, "the JSON has a lone UTF-16 surrogate escape (\\udXXX): not Unicode")
    return data


def _has_lone_surrogate(data: Any) -> bool:
    """Whether a string (key or value) anywhere in ``data`` cannot be encoded as UTF-8."""
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _no_constants(name: str) -> Any:
    """Python's json reads NaN and Infinity; JSON (RFC 8259) has neither, and Avro should not."""
    raise ValueError(f"{name} is not valid JSON (numbers must be finite)")
