"""Bearer tokens: open without one, 401 for none or a wrong one, 403 for the wrong kind."""

from __future__ import annotations

import pytest

from streamops_serving.api.asgi import HttpError, Request
from streamops_serving.api.auth import Tokens


def _request(token: str | None) -> Request:
    headers = {b"authorization": f"Bearer {token}".encode()} if token else {}
    return Request("POST", "/", headers, b"")


def _status(tokens: Tokens, token: str | None, scope: str) -> int:
    try:
        tokens.check(_request(token), scope)  # type: ignore[arg-type]
    except HttpError as exc:
        return exc.status
    return 200


def test_routes_without_a_configured_token_are_open() -> None:
    assert _status(Tokens(None, None), None, "predict") == 200
    assert _status(Tokens(None, "a"), None, "predict") == 200
    assert _status(Tokens("p", None), None, "admin") == 200


@pytest.mark.parametrize(
    ("token", "scope", "status"),
    [
        (None, "predict", 401),
        ("wrong", "predict", 401),
        ("p", "predict", 200),
        ("a", "predict", 200),
        (None, "admin", 401),
        ("p", "admin", 403),
        ("a", "admin", 200),
        ("wrong", "admin", 401),
    ],
)
def test_tokens(token: str | None, scope: str, status: int) -> None:
    assert _status(Tokens("p", "a"), token, scope) == status
