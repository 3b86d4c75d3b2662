"""Fault bookkeeping: clean events pass every field rule of fraud.yaml, and a faulty event
breaks exactly the rules recorded for it (checked with the spec's own rules, in Python)."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from fastavro import parse_schema
from fastavro.validation import validate

from streamops.pipeline import FieldExpectation
from streamops.pipeline.pii import PiiTreatment
from streamops_examples.fraud.faults import faulty_value
from streamops_examples.fraud.generator import generate
from streamops_examples.fraud.scenarios import (
    FAULT_FIELDS,
    FAULT_RULES,
    Phase,
    QualityIncident,
    Scenario,
    load_scenario,
)
from tests.unit.examples.fraud_rules import SCENARIOS, broken_rules, fraud_pipeline

RULES: dict[str, FieldExpectation] = fraud_pipeline().spec.expectations.fields


def test_every_fault_kind_targets_a_rule_the_spec_sets() -> None:
    for kind, rule in FAULT_RULES.items():
        for name in FAULT_FIELDS[kind]:
            assert rule in RULES[name].rules(), (kind, name)


def test_clean_events_pass_every_field_rule() -> None:
    for g in generate(30_000, seed=5):
        assert g.faults == []
        assert broken_rules(g.event, RULES) == set(), g.event


@pytest.mark.parametrize("seed", [1, 2])
def test_each_faulty_event_breaks_exactly_its_recorded_rules(seed: int) -> None:
    incident = QualityIncident.model_validate(
        {kind: dict.fromkeys(FAULT_FIELDS[kind], 0.02) for kind in FAULT_RULES}
    )
    scenario = Scenario(name="all-faults", phases=[Phase(start=0, quality=incident)])
    seen: Counter[tuple[str, str]] = Counter()
    schema = parse_schema(fraud_pipeline().event_schema)
    pii = PiiTreatment(fraud_pipeline().spec.pii, salt="unit")
    for g in generate(20_000, seed=seed, scenario=scenario):
        assert broken_rules(g.event, RULES) == set(g.faults), (g.faults, g.event)
        assert len(g.faults) <= 1
        if g.faults and seen[g.faults[0]] < 20:  # a faulty event still fits the schema
            assert validate(pii.apply(g.event), schema, raise_errors=True)
        seen.update(g.faults)
    expected = {(rule, name) for rule, name, _ in incident.faults()}
    assert set(seen) == expected  # every kind of fault was injected ...
    assert min(seen.values()) > 200  # ... many times (about 400 each)


def test_faulty_values_vary_but_always_break_only_their_rule() -> None:
    rng = random.Random(0)
    clean = next(iter(generate(1, seed=1))).event
    for kind, rule in FAULT_RULES.items():
        for name in FAULT_FIELDS[kind]:
            values = set()
            for _ in range(200):
                event = dict(clean)
                event[name] = faulty_value(rule, name, clean[name], rng)
                assert broken_rules(event, RULES) == {(rule, name)}, event[name]
                values.add(event[name])
            assert rule == "not_null" or rule == "max_length" or len(values) > 1


def test_faulty_value_refuses_what_it_cannot_break() -> None:
    with pytest.raises(ValueError, match="cannot inject a range fault into currency"):
        faulty_value("range", "currency", "EUR", random.Random(0))


def test_dirty_3pct_puts_one_fault_into_3_percent_of_events_over_all_rules() -> None:
    scenario = load_scenario(SCENARIOS / "dirty-3pct.yaml")
    n = 100_000
    faulty = 0
    by_rule: Counter[str] = Counter()
    for g in generate(n, seed=3, scenario=scenario):
        if g.faults:
            faulty += 1
            assert len(g.faults) == 1
            by_rule[g.faults[0][0]] += 1
            assert broken_rules(g.event, RULES) == set(g.faults)
    assert 0.027 < faulty / n < 0.033
    assert set(by_rule) == {"not_null", "range", "allowed", "regex", "max_length"}
    assert min(by_rule.values()) > 250  # spread: 0.4% at least, i.e. ~400 each


def test_a_quality_incident_changes_nothing_but_the_faulty_fields() -> None:
    scenario = Scenario(
        name="nulls", phases=[Phase(start=0, quality=QualityIncident(null_rate={"amount": 0.3}))]
    )
    base = list(generate(5_000, seed=9))
    dirty = list(generate(5_000, seed=9, scenario=scenario))
    assert sum(bool(g.faults) for g in dirty) > 1_000
    for clean, broken in zip(base, dirty, strict=True):
        repaired = dict(broken.event)
        for _, name in broken.faults:
            repaired[name] = clean.event[name]
        assert repaired == clean.event
        assert (broken.is_fraud, broken.label_delay_ms) == (clean.is_fraud, clean.label_delay_ms)
