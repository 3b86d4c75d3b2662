"""The delivery data generator: deterministic orders, how long each delivery took, faults.

Pure: no Kafka, no clock, no global state. The same arguments give the same orders,
because everything random is drawn from generators seeded from ``seed`` (separate ones
for the city, the orders, the deliveries and the faults; so a concept-only scenario
changes nothing but the delivery times, and a quality-only one nothing but the faulty
fields).

A delivery takes the kitchen's time (its usual time per dish, slower with more dishes and
when more orders than it can cook came in the last 30 minutes) or the courier's ride to
the kitchen, whichever is longer, then the ride to the customer (distance over the
vehicle's speed, slowed by traffic in the zone and by the weather) and the hand-over;
bounded to 10 .. 90 minutes (after 90 the order is refunded and closed). The label of an
order is that time in minutes, known when the food arrives: its label time is the order's
event time plus the delivery time.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from collections import deque
from collections.abc import Iterator
from functools import lru_cache
from itertools import accumulate
from typing import Any, NamedTuple

from streamops_examples.delivery.faults import faulty_value
from streamops_examples.delivery.scenarios import Effects, Scenario, resolve_segments
from streamops_examples.delivery.world import (
    CUISINES,
    PARKING_MINUTES,
    VEHICLES,
    WEATHER_SHARE,
    WEATHER_SPEED,
    ZONES,
    City,
    build_city,
)
from streamops_examples.fault_injection import inject_faults

#: 2026-01-01T00:00:00Z: the default event time of the first order.
DEFAULT_START_MS = 1_767_225_600_000
#: Orders per second of event time when no rate says otherwise: a big city's evening.
DEFAULT_EVENTS_PER_SECOND = 1.0
#: Bounds of a delivery time in minutes (delivery.yaml's labels.expected_delay is 90m).
MIN_MINUTES, MAX_MINUTES = 10.0, 90.0
#: Bounds of clean values (delivery.yaml's ranges hold them).
MAX_DISTANCE_KM, MAX_ITEMS, MAX_ORDER_VALUE = 25.0, 30, 999.0
DELIVERY_FEE = 2.49
SOURCE = "generator"
_LOAD_WINDOW_MS = 30 * 60_000  # a kitchen's load: the orders of the last 30 minutes
_OVERLOAD = 1.5  # a kitchen cooks this many times its usual 30 minutes' orders unhurried
#: The fields of every generated event: those of schemas/delivery/Order.avsc.
EVENT_FIELDS: tuple[str, ...] = (
    "order_id",
    "restaurant_id",
    "customer_id",
    "courier_id",
    "zone",
    "cuisine",
    "vehicle",
    "weather",
    "distance_km",
    "items",
    "order_value",
    "customer_phone",
    "delivery_address",
    "event_time",
    "ingest_time",
    "source",
)
_STREETS = ("Hauptstr.", "Gartenweg", "Ringstr.", "Am Markt", "Bahnhofstr.", "Lindenallee")


class Order(NamedTuple):
    """One generated order, before PII treatment, and what the generator knows of it.

    ``minutes`` is how long its delivery took (the label); ``faults`` lists the (rule,
    field) pairs of delivery.yaml the event was made to break.
    """

    event: dict[str, Any]
    minutes: float
    faults: list[tuple[str, str]]

    @property
    def label_delay_ms(self) -> int:
        """When the label is known, after the order: the delivery time itself."""
        return round(self.minutes * 60_000)


@lru_cache(maxsize=2)
def city_of(seed: int) -> City:
    """The city of ``seed``; immutable, so built once and shared by the runs of a process."""
    return build_city(random.Random(f"{seed}:city"))


def weather_weights(mix: dict[str, float] | None) -> list[float]:
    """Weather shares: the usual ones, or ``mix`` with the rest spread pro rata over the
    kinds it does not name."""
    if not mix:
        return list(WEATHER_SHARE.values())
    rest = max(0.0, 1.0 - sum(mix.values()))
    others = sum(w for name, w in WEATHER_SHARE.items() if name not in mix)
    scale = rest / others if others else 0.0
    return [mix.get(name, w * scale) for name, w in WEATHER_SHARE.items()]


def generate(
    count: int,
    *,
    seed: int,
    scenario: Scenario | None = None,
    start_ms: int = DEFAULT_START_MS,
    events_per_second: float = DEFAULT_EVENTS_PER_SECOND,
) -> Iterator[Order]:
    """``count`` orders, ``events_per_second`` of them per second of event time on average
    (Poisson arrivals) from ``start_ms`` on, changed by ``scenario``'s phases."""
    if count < 0:
        raise ValueError(f"count must be >= 0, not {count}")
    if events_per_second <= 0:
        raise ValueError(f"events_per_second must be > 0, not {events_per_second}")
    return _Generator(seed, start_ms, events_per_second).run(resolve_segments(scenario, count))


class _Generator:
    """The state of one run: the city and each kitchen's orders of the last 30 minutes."""

    def __init__(self, seed: int, start_ms: int, events_per_second: float) -> None:
        self.city = city_of(seed)
        self.rng = random.Random(f"{seed}:orders")
        self.delivery_rng = random.Random(f"{seed}:deliveries")
        self.fault_rng = random.Random(f"{seed}:faults")
        self.start_ms = start_ms
        self.rate = events_per_second
        self.clock_ms = 0.0
        kitchens = self.city.restaurants
        self.recent: list[deque[int]] = [deque() for _ in kitchens]
        per_window = events_per_second * _LOAD_WINDOW_MS / 1000  # orders in 30 minutes
        # a kitchen is staffed for its usual load: only a rush beyond it slows it down
        self.capacity = [
            max(2.0, _OVERLOAD * self.city.share(i) * per_window) for i in range(len(kitchens))
        ]

    def run(self, segments: list[tuple[int, int, Effects]]) -> Iterator[Order]:
        for lo, hi, effects in segments:
            yield from self._segment(hi - lo, effects)

    def _segment(self, n: int, effects: Effects) -> Iterator[Order]:
        rng, fault_rng = self.rng, self.fault_rng
        weather = list(accumulate(weather_weights(effects.weather_mix)))
        thresholds = list(accumulate(share for _, _, share in effects.faults))
        faults = [(rule, name) for rule, name, _ in effects.faults]
        for _ in range(n):
            self.clock_ms += rng.expovariate(self.rate) * 1000.0
            order = self._order(effects, weather)
            if faults:  # one fault at most per event: the shares of a phase add up
                picked = bisect(thresholds, fault_rng.random())
                if picked < len(faults):
                    order.faults.extend(
                        inject_faults(order.event, [faults[picked]], fault_rng, faulty_value)
                    )
            yield order

    def _order(self, effects: Effects, weather_cum: list[float]) -> Order:
        rng, city = self.rng, self.city
        now = self.start_ms + int(self.clock_ms)
        index = bisect(city.restaurant_cum_weights, rng.random() * city.restaurant_cum_weights[-1])
        kitchen = city.restaurants[index]
        zone, cuisine = ZONES[kitchen.zone], CUISINES[kitchen.cuisine]
        weather = list(WEATHER_SHARE)[bisect(weather_cum, rng.random() * weather_cum[-1])]
        distance = rng.lognormvariate(math.log(2.4 * zone.distance_scale), 0.5)
        distance = min(max(distance * effects.distance_factor, 0.3), MAX_DISTANCE_KM)
        items = min(MAX_ITEMS, max(1, round((1 + rng.expovariate(1 / 1.3)) * effects.items_factor)))
        value = sum(cuisine.dish_price * rng.lognormvariate(0.0, 0.25) for _ in range(items))
        value = min(max(value + DELIVERY_FEE, 1.0), MAX_ORDER_VALUE)
        vehicle = rng.choices(list(VEHICLES), _vehicle_weights(distance))[0]
        fleet = city.couriers[vehicle]
        courier = fleet[int(rng.random() * len(fleet))]
        customer = int(rng.random() * 200_000)
        event = {
            "order_id": f"ord-{rng.getrandbits(64):016x}",
            "restaurant_id": kitchen.restaurant_id,
            "customer_id": f"cust-{customer:07d}",
            "courier_id": courier.courier_id,
            "zone": zone.name,
            "cuisine": cuisine.name,
            "vehicle": vehicle,
            "weather": weather,
            "distance_km": round(distance, 2),
            "items": items,
            "order_value": round(value, 2),
            "customer_phone": f"+49 15{customer * 7919 % 10**9:09d}",
            "delivery_address": f"{1 + customer % 120} {_STREETS[customer % len(_STREETS)]}",
            "event_time": now,
            "ingest_time": None,
            "source": SOURCE,
        }
        recent = self.recent[index]
        recent.append(now)
        while recent[0] <= now - _LOAD_WINDOW_MS:
            recent.popleft()
        minutes = self._minutes(index, event, courier.pace, len(recent), effects)
        return Order(event, minutes, [])

    def _minutes(
        self, kitchen: int, event: dict[str, Any], pace: float, load: int, effects: Effects
    ) -> float:
        """How long the delivery of ``event`` takes, in minutes (the label)."""
        rng = self.delivery_rng
        restaurant = self.city.restaurants[kitchen]
        capacity = self.capacity[kitchen]
        overload = 1.0 + 0.6 * max(0.0, load - capacity) / capacity
        dishes: float = 1.0 + 0.06 * (event["items"] - 1)
        cooking = (restaurant.prep_minutes * dishes + effects.prep_minutes) * overload
        cooking *= rng.lognormvariate(0.0, 0.12)
        to_kitchen = rng.uniform(3.0, 10.0) / effects.courier_speed_factor
        speed = (
            VEHICLES[event["vehicle"]]
            * pace
            * WEATHER_SPEED[event["weather"]]
            * ZONES[restaurant.zone].traffic
            * effects.courier_speed_factor
        )
        ride: float = event["distance_km"] / speed * 60.0
        if event["vehicle"] == "car":
            ride += PARKING_MINUTES
        total = max(cooking, to_kitchen) + ride + rng.uniform(1.0, 3.0)
        total *= rng.lognormvariate(0.0, 0.06)
        return round(min(max(total, MIN_MINUTES), MAX_MINUTES), 1)


def _vehicle_weights(distance_km: float) -> tuple[float, float, float]:
    """bike, scooter, car: the farther, the likelier a motor."""
    if distance_km < 2.0:
        return (0.6, 0.35, 0.05)
    if distance_km < 5.0:
        return (0.35, 0.45, 0.2)
    return (0.1, 0.4, 0.5)
