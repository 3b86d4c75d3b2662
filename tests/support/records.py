"""The 10-field record used by runtime tests and benchmarks, and how to make many of them."""

from __future__ import annotations

import random
from typing import Any

PAYMENT_SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "BenchPayment",
    "namespace": "streamops.test",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "customer_id", "type": "string"},
        {"name": "merchant_id", "type": "string"},
        {"name": "amount", "type": "double"},
        {"name": "currency", "type": "string"},
        {"name": "country", "type": "string"},
        {"name": "event_time", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "items", "type": "int"},
        {"name": "card_present", "type": "boolean"},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}


def payment(i: int, rng: random.Random | None = None) -> dict[str, Any]:
    """Record number ``i``; its ``id`` is unique, so outputs can be matched to inputs."""
    rng = rng or random.Random(i)
    return {
        "id": f"tx-{i:08d}",
        "customer_id": f"c-{rng.randrange(100_000):06d}",
        "merchant_id": f"m-{rng.randrange(5_000):05d}",
        "amount": round(rng.lognormvariate(3.5, 1.0), 2),
        "currency": rng.choice(("EUR", "USD", "GBP")),
        "country": rng.choice(("DE", "FR", "US", "GB", "NL")),
        # fastavro reads timestamp-millis back as aware datetimes; tests compare ids
        "event_time": 1_795_000_000_000 + i,
        "items": rng.randrange(1, 10),
        "card_present": rng.random() < 0.6,
        "note": None if i % 5 else f"note {i}",
    }
