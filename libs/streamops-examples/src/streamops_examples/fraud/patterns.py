"""Fraud patterns: how an attack on one card unfolds, planned when it starts.

Each pattern depends on the victim's history or profile: card testing and rapid bursts
are many transactions on one card within minutes, an amount spike is measured against
the customer's usual spending so far, foreign fraud happens outside the customer's home
country, and night fraud hits high-risk categories when the card holder sleeps (00:00 to
06:00 UTC of event time). Fraudsters use their own devices and IP addresses.
A concept-drift scenario can reweigh the patterns and move fraud to other categories,
channels or countries (`ConceptDrift`).
"""

from __future__ import annotations

import random
from typing import NamedTuple

from streamops_examples.fraud.scenarios import ConceptDrift
from streamops_examples.fraud.world import (
    CATEGORY_BY_NAME,
    HIGH_RISK,
    HOME_COUNTRIES,
    RISKY_COUNTRIES,
)

#: Relative weight of each pattern among new attacks, and its mean number of transactions.
PATTERNS: dict[str, tuple[float, float]] = {
    "card_testing": (0.20, 6.0),
    "amount_spike": (0.30, 1.5),
    "foreign": (0.25, 3.0),
    "night_high_risk": (0.10, 2.0),
    "rapid_burst": (0.15, 6.0),
}
_BURST_CATEGORIES = ("clothing", "electronics", "gift_cards", "digital_goods", "entertainment")


class Purchase(NamedTuple):
    """What a transaction buys where; in an attack, ``gap_ms`` is the event time since the
    attack's previous transaction."""

    category: str
    channel: str
    country: str
    amount: float
    device_id: str | None
    gap_ms: int


def pattern_weights(concept: ConceptDrift, *, night: bool) -> dict[str, float]:
    """The weights new attacks are drawn with; night fraud only starts at night."""
    chosen = concept.patterns or {}
    base = {str(name): weight for name, weight in chosen.items()} or {
        name: weight for name, (weight, _) in PATTERNS.items()
    }
    weights = {name: weight for name, weight in base.items() if weight > 0}
    if not night and len(weights) > 1:
        weights.pop("night_high_risk", None)
    return weights


def mean_steps(weights: dict[str, float]) -> float:
    """The mean length of an attack drawn with ``weights``."""
    return sum(w * PATTERNS[k][1] for k, w in weights.items()) / sum(weights.values())


def _category_amount(rng: random.Random, category: str, factor: float = 1.0) -> float:
    c = CATEGORY_BY_NAME[category]
    return rng.lognormvariate(0.0, c.sigma) * c.median_amount * factor


def _abroad(rng: random.Random, home: str) -> str:
    if rng.random() < 0.75:
        return rng.choice(RISKY_COUNTRIES)
    return rng.choice([c for c in HOME_COUNTRIES if c != home])


def _device(rng: random.Random) -> str:
    return f"dev-{rng.getrandbits(48):012x}"  # the fraudster's, never seen on this card


def plan_attack(kind: str, rng: random.Random, *, home: str, usual_amount: float) -> list[Purchase]:
    """The transactions of one attack of pattern ``kind`` on a card of a customer living in
    ``home`` who usually spends ``usual_amount``."""
    steps: list[Purchase] = []
    device = _device(rng)
    if kind == "card_testing":  # tiny online amounts to check the card works, then cash out
        country = home if rng.random() < 0.5 else _abroad(rng, home)
        for _ in range(rng.randint(3, 6)):
            amount = rng.uniform(0.5, 4.99)
            steps.append(
                Purchase(
                    "digital_goods", "web", country, amount, device, rng.randint(5_000, 40_000)
                )
            )
        for _ in range(rng.randint(1, 2)):
            category = rng.choice(("electronics", "jewelry", "gift_cards"))
            amount = rng.lognormvariate(0.0, 0.5) * 900.0
            steps.append(
                Purchase(category, "web", country, amount, device, rng.randint(10_000, 120_000))
            )
    elif kind == "amount_spike":  # far above what this customer has spent so far
        for _ in range(rng.randint(1, 2)):
            category = rng.choice(HIGH_RISK)
            amount = usual_amount * rng.uniform(8.0, 25.0)
            steps.append(
                Purchase(
                    category,
                    rng.choice(("web", "mobile")),
                    home,
                    amount,
                    device,
                    rng.randint(60_000, 600_000),
                )
            )
    elif kind == "foreign":  # a cloned card used in person far from home
        country = _abroad(rng, home)
        for _ in range(rng.randint(2, 4)):
            category = rng.choice(("cash_withdrawal", "electronics", "jewelry"))
            channel = "atm" if category == "cash_withdrawal" else "pos"
            steps.append(
                Purchase(
                    category,
                    channel,
                    country,
                    _category_amount(rng, category, 1.5),
                    None,
                    rng.randint(60_000, 900_000),
                )
            )
    elif kind == "night_high_risk":
        for _ in range(rng.randint(1, 3)):
            category = rng.choice(HIGH_RISK)
            steps.append(
                Purchase(
                    category,
                    "mobile",
                    home,
                    _category_amount(rng, category, 3.0),
                    device,
                    rng.randint(30_000, 300_000),
                )
            )
    elif kind == "rapid_burst":  # many merchants within a few minutes
        for _ in range(rng.randint(4, 8)):
            category = rng.choice(_BURST_CATEGORIES)
            steps.append(
                Purchase(
                    category,
                    rng.choice(("web", "mobile")),
                    home,
                    _category_amount(rng, category, 1.5),
                    device,
                    rng.randint(3_000, 20_000),
                )
            )
    else:
        raise ValueError(f"unknown fraud pattern {kind!r}; known: {', '.join(PATTERNS)}")
    return steps


def drift_purchase(
    rng: random.Random, step: Purchase, home: str, concept: ConceptDrift
) -> Purchase:
    """``step`` moved to the categories, channels and countries fraud has drifted to (when
    it happens, so an attack under way when the concept changes follows the change)."""
    if not (concept.categories or concept.channels or concept.foreign is not None):
        return step
    category, channel, country = step.category, step.channel, step.country
    if concept.categories:
        category = rng.choice(concept.categories)
        if not concept.channels:
            names, weights = zip(*CATEGORY_BY_NAME[category].channels, strict=True)
            channel = rng.choices(names, weights)[0]
    if concept.channels:
        channel = rng.choice(concept.channels)
    if concept.foreign is False:
        country = home
    elif concept.foreign and country == home:
        country = _abroad(rng, home)
    device = None if channel in ("pos", "atm") else (step.device_id or _device(rng))
    return Purchase(category, channel, country, step.amount, device, step.gap_ms)
