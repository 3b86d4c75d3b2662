"""An API fuzzed from its own OpenAPI document (schemathesis), the same way for every
service: derandomised, bounded, every built-in check unless a caller leaves one out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

#: Every built-in check, as configured here and not by a schemathesis.toml lying around; a
#: body over a limit is refused with 413 (Payload Too Large), a rejection too.
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": [400, 401, 403, 404, 405, 406, 409, 413, 415, 422]
            }
        }
    }
)


def fuzz_operation(
    operation: Any,
    base_url: str,
    headers: Mapping[str, str],
    examples: int,
    mode: GenerationMode,
    excluded_checks: list[Callable[..., Any]] | None = None,
) -> Counter[int]:
    """Call ``operation`` with ``examples`` generated cases of ``mode``; each answer must
    pass every built-in check (not a server error, status, content type, headers and body
    as documented, negative data rejected, positive data accepted) but ``excluded_checks``.
    The answers' statuses, counted."""
    statuses: Counter[int] = Counter()

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case: schemathesis.Case[Any]) -> None:
        response = case.call(base_url=base_url, headers=dict(headers), timeout=30)
        statuses[response.status_code] += 1
        case.validate_response(response, headers=dict(headers), excluded_checks=excluded_checks)

    fuzz()
    return statuses
