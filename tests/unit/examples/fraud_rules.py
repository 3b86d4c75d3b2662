"""fraud.yaml's field rules, evaluated in plain Python (independently of the validation
service), and the shared fixtures of the generator tests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from streamops.pipeline import FieldExpectation, Pipeline, load_pipeline

ROOT = Path(__file__).resolve().parents[3]
FRAUD_SPEC = ROOT / "deploy" / "pipelines" / "fraud.yaml"
SCENARIOS = ROOT / "deploy" / "pipelines" / "scenarios"


def fraud_pipeline() -> Pipeline:
    """The shipped fraud pipeline spec."""
    return load_pipeline(FRAUD_SPEC)


def broken_rules(
    event: dict[str, Any], fields: dict[str, FieldExpectation]
) -> set[tuple[str, str]]:
    """Every (rule, field) of ``fields`` that ``event`` breaks; rules other than not_null
    do not judge a null value."""
    broken: set[tuple[str, str]] = set()
    for name, rules in fields.items():
        value = event.get(name)
        if value is None:
            if rules.not_null:
                broken.add(("not_null", name))
            continue
        bounds = rules.range
        if bounds is not None and (
            (bounds.min is not None and value < bounds.min)
            or (bounds.max is not None and value > bounds.max)
        ):
            broken.add(("range", name))
        if rules.allowed is not None and value not in rules.allowed:
            broken.add(("allowed", name))
        if rules.regex is not None and re.fullmatch(rules.regex, str(value)) is None:
            broken.add(("regex", name))
        if rules.max_length is not None and len(str(value)) > rules.max_length:
            broken.add(("max_length", name))
    return broken
