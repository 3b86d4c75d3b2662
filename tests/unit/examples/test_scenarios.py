"""Scenario files: validated with errors that name the field, and visible effects in the
records of their phases only."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from streamops_examples.fraud.generator import Generated, generate
from streamops_examples.fraud.scenarios import (
    Phase,
    Scenario,
    load_scenario,
    resolve_segments,
)
from streamops_examples.fraud.world import HOME_COUNTRIES
from streamops_examples.scenario_segments import ScenarioError
from tests.unit.examples.fraud_rules import SCENARIOS


def _write(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "scenario.yaml"
    file.write_text(text)
    return file


def _mean_amount(events: list[Generated]) -> float:
    return statistics.fmean(g.event["amount"] for g in events if not g.is_fraud)


@pytest.mark.parametrize(
    "name", ["quality-incident", "covariate-drift", "concept-drift", "dirty-3pct"]
)
def test_the_shipped_scenarios_load(name: str) -> None:
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    assert scenario.name == name
    assert scenario.phases


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        (
            "name: x\nphases:\n  - start: 0\n    quality: {null_rate: {amont: 0.1}}\n",
            "phases.0.quality.null_rate.amont",
            "Input should be",
        ),
        (
            "name: x\nphases:\n  - start: 0\n    quality: {null_rate: {amount: 1.5}}\n",
            "phases.0.quality.null_rate.amount",
            "less than or equal to 1",
        ),
        (
            "name: x\nphases:\n  - start: 0\n    quality: {malformed: {amount: 0.1}}\n",
            "phases.0.quality.malformed.amount",
            "'transaction_id'",
        ),
        (
            "name: x\nphases:\n  - start: 0\n    quality: {too_long: {merchant_category: 0.6},"
            " out_of_range: {amount: 0.6}}\n",
            "phases.0.quality",
            "add up to 1.2",
        ),
        ("name: x\nphases:\n  - start: 2.5\n", "phases.0.start", "neither a fraction"),
        ("name: x\nphases:\n  - start: -1\n", "phases.0.start", "greater than or equal to 0"),
        ("name: x\nphases:\n  - {start: 0, length: 0}\n", "phases.0.length", "greater than 0"),
        (
            "name: x\nphases:\n  - start: 0\n    covariate: {category_mix: {toys: 0.2}}\n",
            "phases.0.covariate.category_mix",
            "unknown merchant categories ['toys']",
        ),
        (
            "name: x\nphases:\n  - start: 0\n    covariate: {country_share: {XX: 0.2}}\n",
            "phases.0.covariate.country_share",
            "unknown countries ['XX']",
        ),
        (
            "name: x\nphases:\n  - start: 0\n    covariate: {amount_factor: 0}\n",
            "phases.0.covariate.amount_factor",
            "greater than 0",
        ),
        (
            "name: x\nphases:\n  - start: 0\n    concept: {channels: [fax]}\n",
            "phases.0.concept.channels.0",
            "Input should be",
        ),
        (
            "name: x\nphases:\n  - start: 0\n    concept: {patterns: {card_testing: 0}}\n",
            "phases.0.concept.patterns",
            "needs a weight above 0",
        ),
        ("name: x\nphases:\n  - start: 0\n    drift: {}\n", "phases.0.drift", "Extra inputs"),
        ("name: x\nphases: []\n", "phases", "at least 1 item"),
        ("phases:\n  - start: 0\n", "name", "Field required"),
    ],
)
def test_errors_name_the_field(tmp_path: Path, text: str, where: str, says: str) -> None:
    file = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(file)
    lines = str(caught.value).splitlines()[1:]
    assert any(line.startswith(f"{file}: {where}: ") and says in line for line in lines), lines


def test_unreadable_or_broken_files_say_so(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "missing.yaml")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(_write(tmp_path, "name: [x\n"))


def test_phases_resolve_to_record_ranges() -> None:
    scenario = Scenario(
        name="s",
        phases=[
            Phase(name="a", start=0.5, covariate={"amount_factor": 2.0}),  # type: ignore[arg-type]
            Phase(start=100, length=0.1, covariate={"amount_factor": 3.0}),  # type: ignore[arg-type]
        ],
    )
    segments = [
        (lo, hi, e.phases, e.amount_factor) for lo, hi, e in resolve_segments(scenario, 1_000)
    ]
    assert segments == [
        (0, 100, (), 1.0),
        (100, 200, ("phase-2",), 3.0),
        (200, 500, (), 1.0),
        (500, 1_000, ("a",), 2.0),
    ]
    assert resolve_segments(None, 10)[0][:2] == (0, 10)


def test_amount_inflation_raises_amounts_within_its_phase_only() -> None:
    scenario = Scenario(
        name="inflation",
        phases=[Phase(start=10_000, length=10_000, covariate={"amount_factor": 2.0})],  # type: ignore[arg-type]
    )
    base = list(generate(30_000, seed=4))
    drifted = list(generate(30_000, seed=4, scenario=scenario))
    before, during, after = drifted[:10_000], drifted[10_000:20_000], drifted[20_000:]
    assert before == base[:10_000]
    ratio = _mean_amount(during) / _mean_amount(base[10_000:20_000])
    assert 1.8 < ratio < 2.2
    assert _mean_amount(after) / _mean_amount(base[20_000:]) == pytest.approx(1.0, rel=0.1)


def test_covariate_drift_opens_a_new_country_and_shifts_the_category_mix() -> None:
    scenario = load_scenario(SCENARIOS / "covariate-drift.yaml")
    run = list(generate(40_000, seed=2, scenario=scenario))
    first, second = run[:20_000], run[20_000:]

    def share(events: list[Generated], key: str, value: str) -> float:
        return sum(g.event[key] == value for g in events) / len(events)

    assert share(first, "country", "PL") == 0
    assert 0.13 < share(second, "country", "PL") < 0.17
    assert share(second, "merchant_category", "electronics") > 2 * share(
        first, "merchant_category", "electronics"
    )
    assert _mean_amount(second) > 1.4 * _mean_amount(first)


def test_concept_drift_moves_fraud_home_to_everyday_shops() -> None:
    scenario = load_scenario(SCENARIOS / "concept-drift.yaml")
    run = list(generate(60_000, seed=8, scenario=scenario))
    homes = {}
    for g in run:
        if not g.is_fraud and g.event["country"] in HOME_COUNTRIES:
            homes.setdefault(g.event["customer_id"], set()).add(g.event["country"])
    everyday = {"grocery", "restaurants", "fuel"}
    # leave a margin after the switch: attacks started before it finish the old way
    old, new = run[:30_000], run[35_000:]
    old_fraud = [g.event for g in old if g.is_fraud]
    new_fraud = [g.event for g in new if g.is_fraud]
    assert len(new_fraud) > 100
    assert all(e["merchant_category"] in everyday and e["channel"] == "pos" for e in new_fraud)
    assert sum(e["merchant_category"] in everyday for e in old_fraud) < 0.1 * len(old_fraud)
    risky = {"BR", "NG", "RU", "TH", "MX", "PH", "ID", "TR", "VN", "CO"}
    assert not any(e["country"] in risky for e in new_fraud)
    assert sum(e["country"] in risky for e in old_fraud) > 0.1 * len(old_fraud)


def test_quality_incident_is_a_burst_with_clean_data_around_it() -> None:
    scenario = load_scenario(SCENARIOS / "quality-incident.yaml")
    run = list(generate(20_000, seed=6, scenario=scenario))
    faulty = [i for i, g in enumerate(run) if g.faults]
    assert faulty and min(faulty) >= 5_000 and max(faulty) < 10_000
    assert all(run[i].faults == [("not_null", "amount")] for i in faulty)
    assert 0.085 < len(faulty) / 5_000 < 0.115
