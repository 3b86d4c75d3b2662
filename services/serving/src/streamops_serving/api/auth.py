"""Bearer tokens: one for predictions, one for admin routes (which also may predict).

A route whose token is configured answers 401 without a valid ``Authorization: Bearer``
header and 403 to a valid token of the other kind; with no token configured it is open.
Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac
from typing import Literal

from streamops_serving.api.asgi import HttpError, Request

Scope = Literal["predict", "admin"]
_CHALLENGE = {b"www-authenticate": b'Bearer realm="streamops-serving"'}


class Tokens:
    """Checks requests against the configured tokens."""

    def __init__(self, predict: str | None, admin: str | None) -> None:
        self._predict = predict.encode() if predict else None
        self._admin = admin.encode() if admin else None

    def check(self, request: Request, scope: Scope) -> None:
        """Return if ``request`` may use a route of ``scope``; HttpError 401/403 if not."""
        needed = self._admin if scope == "admin" else self._predict
        if needed is None:
            return
        header = request.header(b"authorization")
        if header is None or not header.startswith(b"Bearer "):
            raise HttpError(401, "this route needs 'Authorization: Bearer <token>'", _CHALLENGE)
        given = header[7:].strip()
        if hmac.compare_digest(given, needed):
            return
        if self._admin is not None and hmac.compare_digest(given, self._admin):
            return
        if scope == "admin" and self._predict and hmac.compare_digest(given, self._predict):
            raise HttpError(403, "the predict token does not open admin routes")
        raise HttpError(401, "the bearer token is not valid", _CHALLENGE)
