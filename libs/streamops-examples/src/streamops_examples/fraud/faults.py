"""Data-quality faults: values that break exactly one rule of fraud.yaml's expectations.

Each fault is named by the rule it breaks and the field it breaks it on, as in the spec
(``("regex", "transaction_id")``). A faulty value never breaks another rule of the same
field, e.g. a malformed transaction id keeps fraud.yaml's ``max_length: 19``, so the
validation service must report exactly the recorded faults.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

#: fraud.yaml's range of ``amount``; clean amounts are kept inside it.
AMOUNT_MIN = 0.01
AMOUNT_MAX = 25_000.0

_UNKNOWN_VALUES: dict[str, tuple[str, ...]] = {
    "currency": ("JPY", "AUD", "CAD", "BTC", "XXX", "eur"),
    "channel": ("phone", "kiosk", "branch", "POS", "Web"),
}


def _bad_amount(rng: random.Random, _value: Any) -> float:
    kind = rng.randrange(3)
    if kind == 0:
        return -round(rng.uniform(1.0, 500.0), 2)  # a refund sent as a purchase
    if kind == 1:
        return 0.0
    return round(rng.uniform(AMOUNT_MAX * 1.01, AMOUNT_MAX * 4), 2)  # a cents/units mix-up


def _bad_transaction_id(rng: random.Random, value: str) -> str:
    digits = value[3:]
    return rng.choice(  # all at most 19 characters: only the regex is broken
        ("TX-" + digits, "tx_" + digits, "tx-" + digits[:15] + "g", "tx-" + digits[:15])
    )


def _bad_card_id(rng: random.Random, value: str) -> str:
    digits = value[5:]
    return rng.choice(("card-" + digits[:5], "card_" + digits, "CARD-" + digits, digits))


def _bad_merchant_id(rng: random.Random, value: str) -> str:
    digits = value[2:]
    return rng.choice(("m-" + digits[:4], "M-" + digits, "m_" + digits, "merchant-" + digits))


def _bad_country(rng: random.Random, value: str) -> str:
    return rng.choice((value.lower(), value + value[0], value[0], f"{value[0]}1"))


_MALFORMED: dict[str, Callable[[random.Random, str], str]] = {
    "transaction_id": _bad_transaction_id,
    "card_id": _bad_card_id,
    "merchant_id": _bad_merchant_id,
    "country": _bad_country,
}


def faulty_value(rule: str, field: str, value: Any, rng: random.Random) -> Any:
    """A value of ``field`` that breaks ``rule`` (and no other rule of that field)."""
    if rule == "not_null":
        return None
    if rule == "range" and field == "amount":
        return _bad_amount(rng, value)
    if rule == "allowed" and field in _UNKNOWN_VALUES:
        return rng.choice(_UNKNOWN_VALUES[field])
    if rule == "regex" and field in _MALFORMED:
        return _MALFORMED[field](rng, value)
    if rule == "max_length" and field == "merchant_category":
        return f"{value}_and_related_services_not_elsewhere_classified"
    raise ValueError(f"cannot inject a {rule} fault into {field}")
