"""The repository's fraud pipeline and a valid event of it, as a client sends one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streamops.pipeline import Pipeline, load_pipeline

REPO = Path(__file__).resolve().parents[3]
FRAUD_SPEC = REPO / "deploy" / "pipelines" / "fraud.yaml"
#: The PII salt the unit tests hash with.
SALT = "unit-test-salt"


def fraud_pipeline() -> Pipeline:
    """The example pipeline of the repository."""
    return load_pipeline(FRAUD_SPEC)


def transaction(**overrides: Any) -> dict[str, Any]:
    """A valid fraud transaction as a client would send it (no id: the preparer stamps one)."""
    event: dict[str, Any] = {
        "card_id": "card-000042",
        "customer_id": "c-1",
        "merchant_id": "m-00007",
        "merchant_category": "grocery",
        "amount": 12.5,
        "currency": "EUR",
        "country": "DE",
        "channel": "pos",
        "device_id": None,
        "card_number": "4111111111111111",
        "customer_email": "jane@example.com",
        "ip_address": "192.168.10.77",
        "event_time": "2026-05-01T12:00:00Z",
    }
    event.update(overrides)
    return event
