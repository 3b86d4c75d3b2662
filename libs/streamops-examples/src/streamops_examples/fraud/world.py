"""The simulated world of the fraud example: countries, merchant categories, customers,
their cards and devices, and merchants.

Built once per seed; everything that changes while events are generated (a customer's
usual spending, attacks in progress) is kept by the generator, not here.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate


@dataclass(frozen=True)
class Category:
    """A merchant category: how much is spent there, on which channels, how risky it is."""

    name: str
    weight: float  # share of legitimate transactions
    median_amount: float
    sigma: float  # of the lognormal amount
    channels: tuple[tuple[str, float], ...]
    high_risk: bool = False


CATEGORIES: tuple[Category, ...] = (
    Category("grocery", 0.22, 38.0, 0.6, (("pos", 0.85), ("web", 0.1), ("mobile", 0.05))),
    Category("restaurants", 0.14, 30.0, 0.6, (("pos", 0.8), ("mobile", 0.2))),
    Category("fuel", 0.09, 55.0, 0.4, (("pos", 1.0),)),
    Category("pharmacy", 0.06, 22.0, 0.6, (("pos", 0.8), ("web", 0.2))),
    Category("clothing", 0.09, 70.0, 0.7, (("pos", 0.5), ("web", 0.35), ("mobile", 0.15))),
    Category("entertainment", 0.07, 40.0, 0.7, (("web", 0.5), ("mobile", 0.3), ("pos", 0.2))),
    Category("digital_goods", 0.06, 12.0, 0.9, (("web", 0.5), ("mobile", 0.5))),
    Category("travel", 0.04, 350.0, 0.8, (("web", 0.8), ("mobile", 0.2))),
    Category("cash_withdrawal", 0.08, 120.0, 0.6, (("atm", 1.0),)),
    Category("electronics", 0.06, 180.0, 0.9, (("pos", 0.4), ("web", 0.5), ("mobile", 0.1)), True),
    Category("jewelry", 0.02, 400.0, 0.9, (("pos", 0.7), ("web", 0.3)), True),
    Category("gift_cards", 0.03, 100.0, 0.7, (("web", 0.6), ("pos", 0.4)), True),
    Category("online_gaming", 0.04, 30.0, 0.9, (("web", 0.5), ("mobile", 0.5)), True),
)
CATEGORY_BY_NAME: dict[str, Category] = {c.name: c for c in CATEGORIES}
HIGH_RISK: tuple[str, ...] = tuple(c.name for c in CATEGORIES if c.high_risk)
CHANNELS: tuple[str, ...] = ("pos", "web", "mobile", "atm")

#: Where customers live (weight) and the currency they pay in there.
HOME_COUNTRIES: dict[str, tuple[float, str]] = {
    "DE": (0.22, "EUR"),
    "FR": (0.15, "EUR"),
    "IT": (0.08, "EUR"),
    "ES": (0.08, "EUR"),
    "NL": (0.06, "EUR"),
    "US": (0.15, "USD"),
    "GB": (0.12, "GBP"),
    "CH": (0.06, "CHF"),
    "SE": (0.08, "SEK"),
}
#: Far-away countries where stolen cards are cashed out (charged in USD).
RISKY_COUNTRIES: tuple[str, ...] = ("BR", "NG", "RU", "TH", "MX", "PH", "ID", "TR", "VN", "CO")
#: Countries nobody transacts in at first; a covariate-drift scenario can open them up.
NEW_COUNTRIES: dict[str, str] = {"PL": "EUR", "PT": "EUR", "AT": "EUR", "IE": "EUR", "NO": "EUR"}
ALL_COUNTRIES: tuple[str, ...] = (*HOME_COUNTRIES, *RISKY_COUNTRIES, *NEW_COUNTRIES)
#: The currencies fraud.yaml allows.
CURRENCIES: tuple[str, ...] = ("EUR", "USD", "GBP", "CHF", "SEK")


def currency_of(country: str) -> str:
    """The currency a merchant in ``country`` charges in (USD outside Europe and the US)."""
    home = HOME_COUNTRIES.get(country)
    if home is not None:
        return home[1]
    return NEW_COUNTRIES.get(country, "USD")


@dataclass(frozen=True, slots=True)
class Customer:
    """A card holder: where they live, how they reach merchants online, how much they spend."""

    customer_id: str
    home: str
    email: str
    ip_address: str
    devices: tuple[str, ...]
    spend_scale: float  # multiplies the category's median amount


@dataclass(frozen=True, slots=True)
class Card:
    """A payment card of one customer."""

    card_id: str
    card_number: str
    customer: int  # index into World.customers


@dataclass(frozen=True)
class World:
    """Customers, cards (with how often each is used) and merchants by (category, country)."""

    customers: tuple[Customer, ...]
    cards: tuple[Card, ...]
    card_cum_weights: tuple[float, ...]
    merchants: dict[tuple[str, str], tuple[str, ...]]


_FIRST = (
    "anna",
    "ben",
    "chloe",
    "david",
    "emma",
    "felix",
    "greta",
    "hugo",
    "ines",
    "jonas",
    "karin",
    "lars",
    "mia",
    "noah",
    "olga",
    "paul",
    "rosa",
    "sven",
    "tom",
    "zoe",
)
_LAST = (
    "meier",
    "martin",
    "rossi",
    "garcia",
    "smith",
    "jansen",
    "muller",
    "berg",
    "bianchi",
    "dupont",
    "jones",
    "lopez",
    "nilsson",
    "schmidt",
    "brown",
    "weber",
)
_DOMAINS = ("example.com", "mail.example", "post.example.org", "inbox.example.net")


_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # a digit doubled, digits summed (Luhn)


def luhn_complete(digits: str) -> str:
    """``digits`` followed by the Luhn check digit that makes the whole number valid."""
    codes = digits.encode()
    doubled = codes[::-1][::2]  # from the right, every other digit once the check is appended
    kept = codes[::-1][1::2]
    total = sum(_DOUBLED[c - 48] for c in doubled) + sum(kept) - 48 * len(kept)
    return digits + str(-total % 10)


_HOMES = tuple(HOME_COUNTRIES)
_HOME_CUM = tuple(accumulate(w for w, _ in HOME_COUNTRIES.values()))


def _pick(rng: random.Random, options: tuple[str, ...]) -> str:
    return options[int(rng.random() * len(options))]  # rng.choice, without its overhead


def _customer(rng: random.Random, number: int) -> Customer:
    home = _HOMES[bisect(_HOME_CUM, rng.random() * _HOME_CUM[-1])]
    u = rng.random()
    n_devices = 0 if u < 0.1 else 1 if u < 0.7 else 2
    email = (
        f"{_pick(rng, _FIRST)}.{_pick(rng, _LAST)}{1 + int(rng.random() * 999)}"
        f"@{_pick(rng, _DOMAINS)}"
    )
    return Customer(
        customer_id=f"cust-{number:07d}",
        home=home,
        email=email,
        ip_address=".".join([str(1 + int(rng.random() * 254)) for _ in range(4)]),
        devices=tuple([f"dev-{rng.getrandbits(48):012x}" for _ in range(n_devices)]),
        spend_scale=rng.lognormvariate(0.0, 0.4),
    )


def _unique_numbers(rng: random.Random, size: int) -> Iterator[int]:
    """Distinct numbers below ``size`` in a scrambled order: i -> (a * i + b) mod size with
    ``a`` coprime to ``size`` (odd, not a multiple of 5: ``size`` is a power of ten)."""
    a = rng.randrange(size // 10, size) | 1
    while a % 5 == 0:
        a += 2
    b = rng.randrange(size)
    return ((a * i + b) % size for i in range(size))


def _merchants(rng: random.Random) -> dict[tuple[str, str], tuple[str, ...]]:
    ids = _unique_numbers(rng, 100_000)
    pools: dict[tuple[str, str], tuple[str, ...]] = {}
    for category in CATEGORIES:
        for country in ALL_COUNTRIES:
            weight = HOME_COUNTRIES.get(country, (0.0, ""))[0]
            size = max(3, round(category.weight * weight * 2_000))
            pools[(category.name, country)] = tuple(f"m-{next(ids):05d}" for _ in range(size))
    return pools


def build_world(rng: random.Random, customers: int = 50_000) -> World:
    """A world of ``customers`` customers (1-2 cards each) and their merchants."""
    people = tuple(_customer(rng, i) for i in range(customers))
    card_ids = _unique_numbers(rng, 1_000_000)
    cards: list[Card] = []
    weights: list[float] = []
    for index in range(customers):
        activity = rng.lognormvariate(0.0, 0.5)  # a few customers use their cards a lot
        n_cards = 1 if rng.random() < 0.8 else 2
        for _ in range(n_cards):
            brand = "4" if rng.random() < 0.6 else "5"  # Visa or Mastercard
            prefix = f"{brand}{int(rng.random() * 10**14):014d}"
            cards.append(Card(f"card-{next(card_ids):06d}", luhn_complete(prefix), index))
            weights.append(activity / n_cards)
    return World(people, tuple(cards), tuple(accumulate(weights)), _merchants(rng))
