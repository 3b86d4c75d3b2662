"""Strict JSON, as events are read: from an HTTP body or a line of a JSON Lines file.

Stricter than Python's `json.loads` where that would let through what nothing downstream
can write: NaN and Infinity (not JSON, and not finite), lone UTF-16 surrogate escapes
(valid JSON syntax, but not Unicode: neither Avro, the HMAC of a PII field nor an error
message can encode them as UTF-8), and nesting deep enough to exhaust the stack.
"""

from __future__ import annotations

import json
import re
from typing import Any

# The JSON escape of a UTF-16 surrogate (d800-dfff): pairs make one character, lone ones none.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class NotJson(ValueError):
    """Text that is not strict JSON; the message says why (syntax errors are
    `json.JSONDecodeError`, which also gives the position)."""


def strict_json(text: str) -> Any:
    """The JSON document ``text``; `json.JSONDecodeError` or `NotJson` otherwise."""
    try:
        data = json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError:
        raise
    except ValueError as exc:
        raise NotJson(f"malformed JSON: {exc}") from exc
    except RecursionError as exc:
        raise NotJson("the JSON nests arrays or objects too deeply") from exc
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(data):
        raise NotJson("the JSON has a lone UTF-16 surrogate escape (\\udXXX): not Unicode")
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
