"""Data-quality faults: values that break exactly one rule of delivery.yaml's expectations.

Each fault is named by the rule it breaks and the field it breaks it on, as in the spec
(``("range", "distance_km")``), so the validation service must report exactly the
recorded faults.
"""

from __future__ import annotations

import random
from typing import Any

_UNKNOWN_VALUES: dict[str, tuple[str, ...]] = {
    "vehicle": ("drone", "Bike", "truck", "on_foot"),
    "weather": ("sunny", "Rain", "hail", "fog"),
    "zone": ("downtown", "Center", "airport", "harbour"),
}
#: Values beyond delivery.yaml's ranges: below the minimum or above the maximum.
_OUT_OF_RANGE: dict[str, tuple[float, ...]] = {
    "distance_km": (-1.2, 0.0, 120.0, 4_500.0),  # a sign error, a missing fix, metres
    "items": (0, -1, 99, 250),
    "order_value": (0.0, -12.5, 2_500.0, 99_999.0),
}


def faulty_value(rule: str, field: str, _value: Any, rng: random.Random) -> Any:
    """A value of ``field`` that breaks ``rule`` (and no other rule of that field); the
    value it replaces does not matter here."""
    if rule == "not_null":
        return None
    if rule == "range" and field in _OUT_OF_RANGE:
        return rng.choice(_OUT_OF_RANGE[field])
    if rule == "allowed" and field in _UNKNOWN_VALUES:
        return rng.choice(_UNKNOWN_VALUES[field])
    raise ValueError(f"cannot inject a {rule} fault into {field}")
