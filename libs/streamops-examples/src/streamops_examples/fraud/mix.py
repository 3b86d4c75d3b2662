"""How a legitimate transaction picks its category, channel and merchant country, under
the covariate drift of the current scenario phase."""

from __future__ import annotations

import math
import random
from bisect import bisect
from itertools import accumulate

from streamops_examples.fraud.world import CATEGORIES, HOME_COUNTRIES, RISKY_COUNTRIES, Category

_HOME_SHARE = 0.93  # at home; the rest travel, mostly within Europe and the US
_TRAVEL_SHARE = 0.99
_TRAVEL = tuple(HOME_COUNTRIES)


def category_weights(mix: dict[str, float] | None) -> list[float]:
    """Category weights: the base mix, or ``mix`` with the rest spread pro rata over the
    categories it does not name."""
    weights = [c.weight for c in CATEGORIES]
    if mix:
        rest = max(0.0, 1.0 - sum(mix.values()))
        others = sum(c.weight for c in CATEGORIES if c.name not in mix)
        scale = rest / others if others else 0.0
        weights = [mix.get(c.name, c.weight * scale) for c in CATEGORIES]
    return weights if sum(weights) > 0 else [c.weight for c in CATEGORIES]


class LegitMix:
    """Draws for legitimate transactions, prepared once per scenario segment."""

    def __init__(self, category_mix: dict[str, float] | None, country_share: dict[str, float]):
        self._categories = list(accumulate(category_weights(category_mix)))
        self._channels = [
            ([name for name, _ in c.channels], list(accumulate(w for _, w in c.channels)))
            for c in CATEGORIES
        ]
        self._log_medians = [math.log(c.median_amount) for c in CATEGORIES]
        self._countries = list(country_share.items())

    def category(self, rng: random.Random) -> int:
        """The index of a category in `CATEGORIES`."""
        return bisect(self._categories, rng.random() * self._categories[-1])

    def channel(self, rng: random.Random, category: int) -> str:
        """A channel the category is paid through."""
        names, cum = self._channels[category]
        return names[bisect(cum, rng.random() * cum[-1])]

    def amount(self, rng: random.Random, category: int, scale: float) -> float:
        """An amount spent at a merchant of the category by a customer spending ``scale``."""
        c: Category = CATEGORIES[category]
        # lognormal; gauss() is about twice as fast as lognormvariate()'s normalvariate()
        return math.exp(rng.gauss(self._log_medians[category], c.sigma)) * scale

    def country(self, rng: random.Random, home: str) -> str:
        """The merchant's country for a customer living in ``home``."""
        if self._countries:
            u = rng.random()
            for country, share in self._countries:
                if u < share:
                    return country
                u -= share
        r = rng.random()
        if r < _HOME_SHARE:
            return home
        if r < _TRAVEL_SHARE:
            return _TRAVEL[int(rng.random() * len(_TRAVEL))]
        return RISKY_COUNTRIES[int(rng.random() * len(RISKY_COUNTRIES))]
