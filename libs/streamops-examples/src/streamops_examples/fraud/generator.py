"""The fraud data generator: deterministic card transactions with fraud, labels and faults.

Pure: no Kafka, no clock, no global state. The same arguments give the same events,
because everything random is drawn from generators seeded from ``seed`` (separate ones for
the world, the events, the faults, the label delays and the attacks under way at the
start; so a quality-only scenario changes nothing but the faulty fields).

Fraud comes in attacks on one card (`streamops_examples.fraud.patterns`) that unfold over
seconds to an hour of event time, interleaved with the legitimate traffic; about 1.5% of
the events are fraudulent, in short runs as in long ones.
"""

from __future__ import annotations

import heapq
import math
import random
from bisect import bisect
from collections.abc import Iterator
from functools import lru_cache
from itertools import accumulate
from typing import Any, NamedTuple

from streamops_examples.fault_injection import inject_faults
from streamops_examples.fraud.faults import AMOUNT_MAX, AMOUNT_MIN, faulty_value
from streamops_examples.fraud.mix import LegitMix
from streamops_examples.fraud.patterns import (
    Purchase,
    drift_purchase,
    mean_steps,
    pattern_weights,
    plan_attack,
)
from streamops_examples.fraud.scenarios import ConceptDrift, Effects, Scenario, resolve_segments
from streamops_examples.fraud.world import (
    CATEGORIES,
    CURRENCIES,
    World,
    build_world,
    currency_of,
)

#: 2026-01-01T00:00:00Z: the default event time of the first event.
DEFAULT_START_MS = 1_767_225_600_000
#: Share of fraudulent transactions without a scenario.
BASE_FRAUD_RATE = 0.015
#: Chargeback delays: lognormal around a median of about a day, truncated to 10 minutes ..
#: 3 days (fraud.yaml's expected_delay, after which a transaction counts as legitimate).
LABEL_DELAY_MEDIAN_MS = 86_400_000
LABEL_DELAY_SIGMA = 1.2
LABEL_DELAY_MIN_MS = 600_000
LABEL_DELAY_MAX_MS = 3 * 86_400_000
SOURCE = "generator"
_LOG_MEDIAN_DELAY = math.log(LABEL_DELAY_MEDIAN_MS)
_WARM_UP_MS = 3_600_000  # the longest attacks last about this long
_WARM_UP_EVENTS = 2_000_000  # ... but simulate no more attacks than this many events start
#: The fields of every generated event: those of schemas/fraud/Transaction.avsc.
EVENT_FIELDS: tuple[str, ...] = (
    "transaction_id",
    "card_id",
    "customer_id",
    "merchant_id",
    "merchant_category",
    "amount",
    "currency",
    "country",
    "channel",
    "device_id",
    "card_number",
    "customer_email",
    "ip_address",
    "event_time",
    "ingest_time",
    "source",
)


class Generated(NamedTuple):
    """One generated transaction, before PII treatment, and what the generator knows of it.

    ``faults`` lists the (rule, field) pairs of fraud.yaml the event was made to break;
    ``label_delay_ms`` is the event-time delay of its chargeback, None when it has none.
    """

    event: dict[str, Any]
    is_fraud: bool
    label_delay_ms: int | None
    faults: list[tuple[str, str]]
    pattern: str | None = None


@lru_cache(maxsize=2)
def world_of(seed: int) -> World:
    """The world of ``seed``; immutable, so built once and shared by the runs of a process."""
    return build_world(random.Random(f"{seed}:world"))


class _Attack(NamedTuple):
    card: int
    pattern: str
    steps: list[Purchase]
    ip_address: str


def generate(
    count: int,
    *,
    seed: int,
    scenario: Scenario | None = None,
    start_ms: int = DEFAULT_START_MS,
    events_per_second: float = 100.0,
    label_delay_scale: float = 1.0,
) -> Iterator[Generated]:
    """``count`` transactions, ``events_per_second`` of them per second of event time on
    average (Poisson arrivals) from ``start_ms`` on, changed by ``scenario``'s phases.

    ``label_delay_scale`` multiplies every chargeback delay and its bounds, for a pipeline
    whose label delay is compressed (the demo's: 10 minutes for 3 days is 1/432)."""
    if count < 0:
        raise ValueError(f"count must be >= 0, not {count}")
    if events_per_second <= 0:
        raise ValueError(f"events_per_second must be > 0, not {events_per_second}")
    if not 0 < label_delay_scale <= 1:
        raise ValueError(f"label_delay_scale must be in (0, 1], not {label_delay_scale}")
    generator = _Generator(seed, start_ms, events_per_second, label_delay_scale)
    return generator.run(resolve_segments(scenario, count))


class _Generator:
    """The state of one run: the world, per-customer history and the attacks under way."""

    def __init__(
        self, seed: int, start_ms: int, events_per_second: float, label_delay_scale: float
    ) -> None:
        self.world = world_of(seed)
        self.rng = random.Random(f"{seed}:events")
        self.fault_rng = random.Random(f"{seed}:faults")
        self.label_rng = random.Random(f"{seed}:labels")
        self.warm_up_rng = random.Random(f"{seed}:warm-up")
        self.start_ms = start_ms
        self.rate = events_per_second
        self.label_delay_scale = label_delay_scale
        self.clock_ms = 0.0
        customers = len(self.world.customers)
        self.usual_amount = [0.0] * customers  # running mean of legitimate amounts
        self.history = [0] * customers
        self.attacks: list[tuple[float, int, _Attack]] = []  # (due clock_ms, seq, attack)
        self.started = 0

    def run(self, segments: list[tuple[int, int, Effects]]) -> Iterator[Generated]:
        self._warm_up(segments[0][2])
        for lo, hi, effects in segments:
            yield from self._segment(hi - lo, effects)

    def _attack_rate(self, concept: ConceptDrift, night: bool) -> float:
        """The chance that an event starts an attack, for the fraud share to be the target."""
        weights = pattern_weights(concept, night=night)
        return BASE_FRAUD_RATE * concept.fraud_rate_factor / mean_steps(weights)

    def _warm_up(self, effects: Effects) -> None:
        """Start with the attacks a run that had been going on for a while would have under
        way, so that short runs have the same fraud share as long ones (an attack lasts up
        to an hour of event time)."""
        night = int(self.start_ms // 3_600_000) % 24 < 6
        per_ms = self._attack_rate(effects.concept, night) * self.rate / 1000.0
        if per_ms <= 0:
            return
        span_ms = min(_WARM_UP_MS, _WARM_UP_EVENTS / self.rate * 1000.0)
        began = -span_ms
        while (began := began + self.warm_up_rng.expovariate(per_ms)) < 0:
            attack = self._start_attack(effects, night, self.warm_up_rng)
            due = began
            for i, step in enumerate(attack.steps):
                due += step.gap_ms if i else 0
                if due >= 0:  # the first step still to come
                    self.started += 1
                    rest = attack._replace(steps=attack.steps[i:])
                    heapq.heappush(self.attacks, (due, self.started, rest))
                    break

    def _segment(self, n: int, effects: Effects) -> Iterator[Generated]:
        rng, attacks, fault_rng = self.rng, self.attacks, self.fault_rng
        mix = LegitMix(effects.category_mix, effects.country_share)
        thresholds = list(accumulate(share for _, _, share in effects.faults))
        faults = [(rule, name) for rule, name, _ in effects.faults]
        rates = [self._attack_rate(effects.concept, night) for night in (False, True)]
        for _ in range(n):
            self.clock_ms += rng.expovariate(self.rate) * 1000.0
            now = self.clock_ms
            night = int((self.start_ms + now) // 3_600_000) % 24 < 6
            if attacks and attacks[0][0] <= now:
                generated = self._fraud(heapq.heappop(attacks)[2], effects)
            elif rng.random() < rates[night]:
                generated = self._fraud(self._start_attack(effects, night, rng), effects)
            else:
                generated = self._legit(effects, mix)
            if faults:  # one fault at most per event: the shares of a phase add up
                picked = bisect(thresholds, fault_rng.random())
                if picked < len(faults):
                    generated.faults.extend(
                        inject_faults(generated.event, [faults[picked]], fault_rng, faulty_value)
                    )
            yield generated

    def _event(self, card: int, what: Purchase, currency: str, ip: str | None) -> dict[str, Any]:
        world, rng = self.world, self.rng
        c = world.cards[card]
        customer = world.customers[c.customer]
        pool = world.merchants[(what.category, what.country)]
        return {
            "transaction_id": f"tx-{rng.getrandbits(64):016x}",
            "card_id": c.card_id,
            "customer_id": customer.customer_id,
            "merchant_id": pool[int(rng.random() * len(pool))],
            "merchant_category": what.category,
            "amount": round(min(max(what.amount, AMOUNT_MIN), AMOUNT_MAX), 2),
            "currency": currency,
            "country": what.country,
            "channel": what.channel,
            "device_id": what.device_id,
            "card_number": c.card_number,
            "customer_email": customer.email,
            "ip_address": ip,
            "event_time": self.start_ms + int(self.clock_ms),
            "ingest_time": None,
            "source": SOURCE,
        }

    def _legit(self, effects: Effects, mix: LegitMix) -> Generated:
        rng, world = self.rng, self.world
        card = bisect(world.card_cum_weights, rng.random() * world.card_cum_weights[-1])
        who = world.cards[card].customer
        customer = world.customers[who]
        category = mix.category(rng)
        channel = mix.channel(rng, category)
        country = mix.country(rng, customer.home)
        amount = mix.amount(rng, category, customer.spend_scale) * effects.amount_factor
        currency = currency_of(country)
        if rng.random() < 0.03:  # web shops charging in another currency
            currency = rng.choice(CURRENCIES)
        online = channel in ("web", "mobile")
        device = None
        if customer.devices and (online or (channel == "pos" and rng.random() < 0.65)):
            device = customer.devices[0]  # at a pos: paid by phone
        what = Purchase(CATEGORIES[category].name, channel, country, amount, device, 0)
        event = self._event(card, what, currency, customer.ip_address if online else None)
        n = self.history[who] = min(self.history[who] + 1, 20)  # about the last 20
        self.usual_amount[who] += (event["amount"] - self.usual_amount[who]) / n
        return Generated(event, False, None, [])

    def _start_attack(self, effects: Effects, night: bool, rng: random.Random) -> _Attack:
        world = self.world
        weights = pattern_weights(effects.concept, night=night)
        kind = rng.choices(list(weights), list(weights.values()))[0]
        card = int(rng.random() * len(world.cards))
        who = world.cards[card].customer
        customer = world.customers[who]
        usual = self.usual_amount[who] or 40.0 * customer.spend_scale  # no history yet
        steps = plan_attack(kind, rng, home=customer.home, usual_amount=usual)
        ip = ".".join(str(rng.randint(1, 254)) for _ in range(4))
        return _Attack(card, kind, steps, ip)

    def _fraud(self, attack: _Attack, effects: Effects) -> Generated:
        what, rest = attack.steps[0], attack.steps[1:]
        home = self.world.customers[self.world.cards[attack.card].customer].home
        what = drift_purchase(self.rng, what, home, effects.concept)
        if rest:
            self.started += 1
            due = self.clock_ms + rest[0].gap_ms
            heapq.heappush(self.attacks, (due, self.started, attack._replace(steps=rest)))
        online = what.channel in ("web", "mobile")
        inflated = what._replace(amount=what.amount * effects.amount_factor)
        event = self._event(
            attack.card, inflated, currency_of(what.country), attack.ip_address if online else None
        )
        return Generated(event, True, self._label_delay_ms(), [], attack.pattern)

    def _label_delay_ms(self) -> int:
        """A chargeback delay, drawn again until it falls within its bounds."""
        while True:
            delay = self.label_rng.lognormvariate(_LOG_MEDIAN_DELAY, LABEL_DELAY_SIGMA)
            if LABEL_DELAY_MIN_MS <= delay <= LABEL_DELAY_MAX_MS:
                return int(delay * self.label_delay_scale)
