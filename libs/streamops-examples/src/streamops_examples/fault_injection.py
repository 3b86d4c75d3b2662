"""Breaking a generated event's fields as a scenario's quality incident says, for both
examples; each example says how a field breaks a rule (its ``faults.faulty_value``)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

#: (rule, field, the field's value, rng) -> a value of the field that breaks the rule
FaultyValue = Callable[[str, str, Any, random.Random], Any]


def inject_faults(
    event: dict[str, Any],
    faults: list[tuple[str, str]],
    rng: random.Random,
    faulty_value: FaultyValue,
) -> list[tuple[str, str]]:
    """Break ``event`` in place as ``faults`` say; returns the faults injected (a field
    already broken by an earlier fault is left alone, so each field has one fault at most)."""
    injected: list[tuple[str, str]] = []
    for rule, field in faults:
        if all(field != done for _, done in injected):
            event[field] = faulty_value(rule, field, event[field], rng)
            injected.append((rule, field))
    return injected
