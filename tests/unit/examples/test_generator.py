"""The fraud generator: deterministic, realistic, and fraud that depends on history."""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from itertools import islice

import pytest
from fastavro import parse_schema
from fastavro.validation import validate

from streamops.pipeline.pii import PiiTreatment
from streamops_examples.fraud.generator import (
    BASE_FRAUD_RATE,
    EVENT_FIELDS,
    LABEL_DELAY_MAX_MS,
    LABEL_DELAY_MIN_MS,
    Generated,
    generate,
)
from streamops_examples.fraud.world import CURRENCIES, HOME_COUNTRIES, currency_of
from tests.unit.examples.fraud_rules import fraud_pipeline

N = 60_000


@pytest.fixture(scope="module")
def events() -> list[Generated]:
    return list(generate(N, seed=7, start_ms=1_000_000))


def _luhn_valid(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def test_same_seed_same_events_other_seed_other_events() -> None:
    first = list(generate(3_000, seed=11, start_ms=5))
    again = list(generate(3_000, seed=11, start_ms=5))
    other = list(generate(3_000, seed=12, start_ms=5))
    assert first == again
    assert [g.event["transaction_id"] for g in first] != [g.event["transaction_id"] for g in other]
    assert sum(g.is_fraud for g in first) > 0  # the comparison covered fraud events too


def test_a_prefix_of_a_run_is_a_shorter_run() -> None:
    assert list(generate(500, seed=3)) == list(islice(generate(2_000, seed=3), 500))


def test_events_fit_the_transaction_schema_after_pii_treatment(events: list[Generated]) -> None:
    pipeline = fraud_pipeline()
    schema = parse_schema(pipeline.event_schema)
    pii = PiiTreatment(pipeline.spec.pii, salt="unit")
    assert {f["name"] for f in pipeline.event_schema["fields"]} == set(EVENT_FIELDS)
    for g in events[:5_000]:
        assert set(g.event) == set(EVENT_FIELDS)
        assert validate(pii.apply(g.event), schema, raise_errors=True)


def test_values_look_real(events: list[Generated]) -> None:
    sample = [g.event for g in events]
    assert all(re.fullmatch(r"tx-[0-9a-f]{16}", e["transaction_id"]) for e in sample)
    assert len({e["transaction_id"] for e in sample}) == N  # unique
    assert all(re.fullmatch(r"card-[0-9]{6}", e["card_id"]) for e in sample)
    assert all(re.fullmatch(r"m-[0-9]{5}", e["merchant_id"]) for e in sample)
    assert all(re.fullmatch(r"[0-9]{16}", e["card_number"]) for e in sample)
    assert all(_luhn_valid(e["card_number"]) for e in sample)
    assert all("@" in e["customer_email"] for e in sample)
    assert {e["channel"] for e in sample} == {"pos", "web", "mobile", "atm"}
    assert {e["currency"] for e in sample} == set(CURRENCIES)
    # the currency is mostly the merchant country's
    matching = sum(e["currency"] == currency_of(e["country"]) for e in sample)
    assert 0.95 < matching / N < 0.995
    # device ids: present on line, sometimes missing, well below fraud.yaml's 0.5 null rate
    assert 0.2 < sum(e["device_id"] is None for e in sample) / N < 0.45
    online = [e for e in sample if e["channel"] in ("web", "mobile")]
    assert all(e["ip_address"] for e in online)
    # a card belongs to one customer; customers mostly shop at home
    owners = defaultdict(set)
    for e in sample:
        owners[e["card_id"]].add(e["customer_id"])
    assert all(len(c) == 1 for c in owners.values())


def test_amounts_depend_on_the_category(events: list[Generated]) -> None:
    by_category: dict[str, list[float]] = defaultdict(list)
    for g in events:
        if not g.is_fraud:
            by_category[g.event["merchant_category"]].append(g.event["amount"])
    medians = {k: statistics.median(v) for k, v in by_category.items()}
    assert medians["travel"] > 5 * medians["grocery"]
    assert medians["jewelry"] > 5 * medians["pharmacy"]


def test_event_time_advances_at_the_configured_rate() -> None:
    run = list(generate(20_000, seed=1, start_ms=10_000, events_per_second=50.0))
    times = [g.event["event_time"] for g in run]
    assert times == sorted(times)
    assert times[0] >= 10_000
    seconds = (times[-1] - times[0]) / 1000
    assert 20_000 / 50 * 0.95 < seconds < 20_000 / 50 * 1.05


def test_fraud_rate_and_labels(events: list[Generated]) -> None:
    fraud = [g for g in events if g.is_fraud]
    assert 0.01 < len(fraud) / N < 0.02
    assert pytest.approx(0.015) == BASE_FRAUD_RATE
    assert all(g.label_delay_ms is None and g.pattern is None for g in events if not g.is_fraud)
    delays = [g.label_delay_ms for g in fraud]
    assert all(d is not None and LABEL_DELAY_MIN_MS <= d <= LABEL_DELAY_MAX_MS for d in delays)
    median_hours = statistics.median(d for d in delays if d is not None) / 3_600_000
    assert 12 < median_hours < 36  # about a day
    assert min(d for d in delays if d is not None) < 3_600_000  # some within the hour
    assert len({g.pattern for g in fraud}) >= 4


@pytest.mark.parametrize("events_per_second", [100.0, 2_000.0])
def test_short_runs_have_the_usual_fraud_share(events_per_second: float) -> None:
    """Attacks last minutes: a run starts with those under way, not with none."""
    fraud = sum(
        g.is_fraud
        for seed in (1, 2)
        for g in generate(3_000, seed=seed, events_per_second=events_per_second)
    )
    assert 0.01 < fraud / 6_000 < 0.02


def test_fraud_spends_far_above_the_customers_usual(events: list[Generated]) -> None:
    """The amount / mean of the customer's earlier amounts is higher for fraud."""
    seen: dict[str, list[float]] = defaultdict(list)
    ratios: dict[bool, list[float]] = {True: [], False: []}
    for g in events:
        history = seen[g.event["customer_id"]]
        if len(history) >= 2:
            ratios[g.is_fraud].append(g.event["amount"] / statistics.fmean(history))
        if not g.is_fraud:
            history.append(g.event["amount"])
    spikes = {k: sum(r > 8 for r in v) / len(v) for k, v in ratios.items()}
    assert spikes[True] > 5 * spikes[False]


def test_fraud_happens_abroad_and_in_bursts(events: list[Generated]) -> None:
    countries: dict[str, Counter[str]] = defaultdict(Counter)
    for g in events:
        if not g.is_fraud:
            countries[g.event["customer_id"]][g.event["country"]] += 1
    homes = {  # where the customer shops most, given enough legitimate history
        c: counts.most_common(1)[0][0] for c, counts in countries.items() if counts.total() >= 3
    }
    foreign: dict[bool, list[bool]] = {True: [], False: []}
    gaps: dict[bool, list[int]] = {True: [], False: []}
    last_seen: dict[str, int] = {}
    for g in events:
        e = g.event
        if e["customer_id"] in homes:
            foreign[g.is_fraud].append(e["country"] != homes[e["customer_id"]])
        if e["card_id"] in last_seen:
            gaps[g.is_fraud].append(e["event_time"] - last_seen[e["card_id"]])
        last_seen[e["card_id"]] = e["event_time"]
    share = {k: sum(v) / len(v) for k, v in foreign.items()}
    assert share[True] > 3 * share[False]
    assert sum(h in HOME_COUNTRIES for h in homes.values()) > 0.98 * len(homes)
    # card testing and bursts: a fraudulent transaction follows the card's last one closely
    # (within 30 s of event time)
    quick = {k: sum(gap < 30_000 for gap in v) / len(v) for k, v in gaps.items()}
    assert quick[True] > 3 * quick[False]


def test_fraud_prefers_high_risk_categories(events: list[Generated]) -> None:
    def share(fraud: bool) -> float:
        chosen = [g for g in events if g.is_fraud is fraud]
        risky = {"electronics", "jewelry", "gift_cards", "online_gaming", "digital_goods"}
        return sum(g.event["merchant_category"] in risky for g in chosen) / len(chosen)

    assert share(True) > 2 * share(False)


def test_bad_arguments_fail_at_once() -> None:
    with pytest.raises(ValueError, match="count"):
        generate(-1, seed=1)
    with pytest.raises(ValueError, match="events_per_second"):
        generate(10, seed=1, events_per_second=0)
    assert math.isfinite(sum(g.event["amount"] for g in generate(10, seed=1)))
