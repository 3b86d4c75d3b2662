"""Deterministic streams of fraud transactions for the features tests and benchmarks.

`transaction_stream` returns valid events of schemas/fraud/Transaction.avsc (valid per
fraud.yaml's expectations, PII already treated as on ``{p}.events.valid``) in the order they
arrive, over more than a day of event time, with what makes window features hard:

- sessions: ordinary cards buy in bursts minutes apart, so the 10m and 1h windows hold
  several events, at a few favourite merchants in mostly one country (distincts vary);
- a few very busy cards (``busy_share`` of all events each), thousands of events a day;
- events at exactly the same time as another of the same card, and repeated amounts
  (windows of equal values: a standard deviation of 0);
- out-of-order arrivals within the 5 min grace, and a share arriving 10 min to 3 h after
  their time (later than the grace: late events).

`landing` places the events in partitions as a keyed producer with librdkafka's default
partitioner would (crc32 of the key), with offsets in arrival order.
"""

from __future__ import annotations

import hashlib
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

#: 2026-01-01T00:00:00Z, a Thursday.
START_MS = 1_767_225_600_000
MINUTE_MS, HOUR_MS = 60_000, 3_600_000

#: country: (share of cards living there, currency)
COUNTRIES: dict[str, tuple[float, str]] = {
    "DE": (0.25, "EUR"),
    "FR": (0.15, "EUR"),
    "IT": (0.08, "EUR"),
    "ES": (0.08, "EUR"),
    "NL": (0.06, "EUR"),
    "US": (0.14, "USD"),
    "GB": (0.12, "GBP"),
    "CH": (0.06, "CHF"),
    "SE": (0.06, "SEK"),
}
CATEGORIES = (
    "grocery",
    "restaurants",
    "fuel",
    "clothing",
    "digital_goods",
    "travel",
    "cash_withdrawal",
)
CHANNELS, CHANNEL_WEIGHTS = ("pos", "web", "mobile"), (0.65, 0.2, 0.15)
MERCHANTS_PER_COUNTRY = 120
_COUNTRY_LIST = list(COUNTRIES)


@dataclass(frozen=True)
class _Card:
    card_id: str
    customer_id: str
    country: str
    favourites: tuple[str, ...]
    typical_amount: float
    device_id: str | None
    card_number: str
    ip_address: str


def transaction_stream(
    count: int = 100_000,
    *,
    seed: int = 1,
    span_ms: int = 28 * HOUR_MS,
    start_ms: int = START_MS,
    cards: int = 5_000,
    busy_cards: int = 3,
    busy_share: float = 0.015,
    same_time_share: float = 0.02,
    out_of_order_share: float = 0.05,
    late_share: float = 0.005,
    null_share: float = 0.0,
) -> list[dict[str, Any]]:
    """``count`` transactions in arrival order, their event times over ``span_ms``.

    ``busy_share``: the share of all events of each of the ``busy_cards``; ``late_share``
    arrive 10 min to 3 h after their time, ``out_of_order_share`` 1 s to 4.5 min after it.
    ``null_share`` > 0 empties amount, merchant_id and country now and then (not valid on
    events.valid, but what the feature definitions must handle).
    """
    if count < 0 or not 0 <= busy_share * busy_cards + same_time_share <= 1:
        raise ValueError("count >= 0, and busy and same-time shares of at most 1 together")
    rng = random.Random(f"feature-stream:{seed}")
    merchants = {
        country: [f"m-{n * 1000 + i:05d}" for i in range(MERCHANTS_PER_COUNTRY)]
        for n, country in enumerate(COUNTRIES)
    }
    category_of = {m: rng.choice(CATEGORIES) for pool in merchants.values() for m in pool}
    world = [_new_card(rng, merchants, n) for n in rng.sample(range(1_000_000), cards + busy_cards)]
    busy, ordinary = world[:busy_cards], world[busy_cards:]
    popularity = list(accumulate(1.0 / (rank + 1) ** 0.3 for rank in range(len(ordinary))))

    # (offset from the start, card) of every event, before the twins
    timed: list[tuple[float, _Card]] = []
    per_busy = round(count * busy_share)
    for card in busy:
        timed += [(rng.uniform(0, span_ms), card) for _ in range(per_busy)]
    twins = round(count * same_time_share)
    while len(timed) < count - twins and ordinary:
        card = rng.choices(ordinary, cum_weights=popularity)[0]
        at = rng.uniform(0, span_ms)
        for _ in range(min(1 + int(rng.expovariate(1 / 2.5)), count - twins - len(timed))):
            timed.append((at % span_ms, card))
            at += rng.expovariate(1 / (3 * MINUTE_MS))
    # a second purchase at the very same millisecond as an earlier one of the card
    timed += [rng.choice(timed) for _ in range(min(twins, count - len(timed)) if timed else 0)]
    timed.sort(key=lambda tc: tc[0])

    events: list[dict[str, Any]] = []
    ids: set[str] = set()
    last_amount: dict[str, float] = {}
    arrivals: list[tuple[int, int]] = []
    for n, (offset, card) in enumerate(timed):
        time_ms = start_ms + int(offset)
        draw = rng.random()
        if draw < late_share:
            delay = rng.randint(10 * MINUTE_MS, 3 * HOUR_MS)
        elif draw < late_share + out_of_order_share:
            delay = rng.randint(1_000, 4 * MINUTE_MS + 30_000)
        else:
            delay = 0
        arrivals.append((time_ms + delay, n))
        event = _event(rng, card, time_ms, time_ms + delay, category_of, merchants, last_amount)
        while event["transaction_id"] in ids:
            event["transaction_id"] = f"tx-{rng.getrandbits(64):016x}"
        ids.add(event["transaction_id"])
        if null_share:
            for name in ("amount", "merchant_id", "country"):
                if rng.random() < null_share:
                    event[name] = None
        events.append(event)
    arrivals.sort()
    return [events[n] for _, n in arrivals]


def landing(events: Sequence[dict[str, Any]], partitions: int = 3) -> list[tuple[int, int]]:
    """(partition, offset) of each event produced in order, keyed by card id (crc32)."""
    next_offset = [0] * partitions
    out = []
    for event in events:
        p = zlib.crc32(event["card_id"].encode()) % partitions
        out.append((p, next_offset[p]))
        next_offset[p] += 1
    return out


def _new_card(rng: random.Random, merchants: dict[str, list[str]], number: int) -> _Card:
    country = rng.choices(list(COUNTRIES), [share for share, _ in COUNTRIES.values()])[0]
    home = merchants[country]
    favourites = tuple(rng.sample(home, rng.randint(2, 6)))
    digits = f"4{rng.getrandbits(50):015d}"[:16]
    return _Card(
        card_id=f"card-{number:06d}",
        customer_id=f"cust-{number:07d}",
        country=country,
        favourites=favourites,
        typical_amount=min(2_000.0, rng.lognormvariate(3.4, 0.9)),
        device_id=f"dev-{rng.getrandbits(32):08x}" if rng.random() < 0.7 else None,
        card_number=hashlib.sha256(f"salt:{digits}".encode()).hexdigest(),
        ip_address="*" * 10 + f".{rng.randint(100, 254)}",  # masked: the last 4 kept
    )


def _event(
    rng: random.Random,
    card: _Card,
    time_ms: int,
    arrival_ms: int,
    category_of: dict[str, str],
    merchants: dict[str, list[str]],
    last_amount: dict[str, float],
) -> dict[str, Any]:
    where = rng.random()
    if where < 0.75:
        merchant = rng.choice(card.favourites)
    elif where < 0.92:
        merchant = rng.choice(merchants[card.country])
    else:  # abroad
        merchant = rng.choice(merchants[rng.choice(_COUNTRY_LIST)])
    country = _COUNTRY_LIST[int(merchant[2:]) // 1000]
    previous = last_amount.get(card.card_id)
    if previous is not None and rng.random() < 0.15:
        amount = previous  # the same amount again: a subscription, a retried payment
    elif rng.random() < 0.002:
        amount = round(rng.uniform(5_000, 25_000), 2)
    else:
        amount = round(card.typical_amount * rng.lognormvariate(0, 0.7), 2)
    amount = min(25_000.0, max(0.01, amount))
    last_amount[card.card_id] = amount
    category = category_of[merchant]
    channel = "atm" if category == "cash_withdrawal" else rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
    return {
        "transaction_id": f"tx-{rng.getrandbits(64):016x}",
        "card_id": card.card_id,
        "customer_id": card.customer_id,
        "merchant_id": merchant,
        "merchant_category": category,
        "amount": amount,
        "currency": COUNTRIES[country][1],
        "country": country,
        "channel": channel,
        "device_id": card.device_id if channel in ("web", "mobile") else None,
        "card_number": card.card_number,
        "customer_email": None,  # dropped by ingestion
        "ip_address": card.ip_address if channel != "pos" else None,
        "event_time": time_ms,
        "ingest_time": arrival_ms + rng.randint(1, 400),
        "source": "feature-stream",
    }
