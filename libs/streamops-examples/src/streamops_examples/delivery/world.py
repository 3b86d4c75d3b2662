"""The simulated city of the delivery example: zones, cuisines, restaurants and couriers.

Built once per seed; what changes while orders are generated (each kitchen's recent
orders) is kept by the generator, not here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import accumulate


@dataclass(frozen=True)
class Zone:
    """A part of the city: its share of the restaurants, how fast traffic moves there, and
    how far its customers live (suburbs: farther)."""

    name: str
    weight: float
    traffic: float  # multiplies the courier's speed
    distance_scale: float


ZONES: tuple[Zone, ...] = (
    Zone("center", 0.30, 0.75, 0.8),
    Zone("north", 0.15, 0.95, 1.0),
    Zone("south", 0.15, 0.95, 1.0),
    Zone("east", 0.12, 0.95, 1.0),
    Zone("west", 0.12, 0.95, 1.0),
    Zone("suburbs", 0.16, 1.15, 1.5),
)


@dataclass(frozen=True)
class Cuisine:
    """What a kitchen cooks: its share, its typical preparation time, the price of a dish."""

    name: str
    weight: float
    prep_minutes: float
    dish_price: float


CUISINES: tuple[Cuisine, ...] = (
    Cuisine("pizza", 0.20, 14.0, 11.0),
    Cuisine("burgers", 0.16, 10.0, 10.0),
    Cuisine("sushi", 0.10, 17.0, 16.0),
    Cuisine("indian", 0.09, 18.0, 13.0),
    Cuisine("chinese", 0.09, 12.0, 11.0),
    Cuisine("thai", 0.08, 15.0, 12.0),
    Cuisine("italian", 0.08, 16.0, 14.0),
    Cuisine("mexican", 0.07, 12.0, 11.0),
    Cuisine("kebab", 0.08, 8.0, 8.0),
    Cuisine("salads", 0.05, 7.0, 10.0),
)

#: A courier's vehicle and its speed in free traffic (km/h); cars also need to park.
VEHICLES: dict[str, float] = {"bike": 16.0, "scooter": 24.0, "car": 27.0}
PARKING_MINUTES = 2.5
#: How the weather at the address slows couriers down, and how often each one comes.
WEATHER_SPEED: dict[str, float] = {"clear": 1.0, "cloudy": 0.97, "rain": 0.8, "storm": 0.6}
WEATHER_SHARE: dict[str, float] = {"clear": 0.55, "cloudy": 0.28, "rain": 0.15, "storm": 0.02}


@dataclass(frozen=True, slots=True)
class Restaurant:
    """A kitchen: where it is, what it cooks, how fast, and how popular it is."""

    restaurant_id: str
    zone: int  # index into ZONES
    cuisine: int  # index into CUISINES
    prep_minutes: float  # for one dish, unloaded
    popularity: float  # relative share of the orders


@dataclass(frozen=True, slots=True)
class Courier:
    """A courier: the vehicle and how fast they ride it compared with the others."""

    courier_id: str
    vehicle: str
    pace: float  # multiplies the vehicle's speed


@dataclass(frozen=True)
class City:
    """Restaurants (with cumulative popularity for drawing) and couriers by vehicle."""

    restaurants: tuple[Restaurant, ...]
    restaurant_cum_weights: tuple[float, ...]
    couriers: dict[str, tuple[Courier, ...]]

    def share(self, restaurant: int) -> float:
        """The share of all orders that go to ``restaurant``."""
        return self.restaurants[restaurant].popularity / self.restaurant_cum_weights[-1]


def _draw(rng: random.Random, weights: list[float]) -> int:
    return rng.choices(range(len(weights)), weights)[0]


def build_city(rng: random.Random, restaurants: int = 300, couriers: int = 1_200) -> City:
    """A city of ``restaurants`` kitchens and ``couriers`` couriers."""
    numbers = rng.sample(range(10_000), restaurants)
    zone_weights = [z.weight for z in ZONES]
    cuisine_weights = [c.weight for c in CUISINES]
    kitchens = []
    for number in numbers:
        cuisine = _draw(rng, cuisine_weights)
        kitchens.append(
            Restaurant(
                restaurant_id=f"rest-{number:04d}",
                zone=_draw(rng, zone_weights),
                cuisine=cuisine,
                prep_minutes=CUISINES[cuisine].prep_minutes * rng.lognormvariate(0.0, 0.2),
                popularity=rng.lognormvariate(0.0, 0.7),
            )
        )
    fleet: dict[str, list[Courier]] = {v: [] for v in VEHICLES}
    for number in rng.sample(range(100_000), couriers):
        vehicle = rng.choices(list(VEHICLES), [0.5, 0.35, 0.15])[0]
        pace = rng.lognormvariate(0.0, 0.1)
        fleet[vehicle].append(Courier(f"courier-{number:05d}", vehicle, pace))
    return City(
        tuple(kitchens),
        tuple(accumulate(k.popularity for k in kitchens)),
        {v: tuple(c) for v, c in fleet.items()},
    )
