"""Delivery-time labels: one per order, known when the food arrives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from streamops.contracts.types import Label
from streamops_examples.delivery.generator import Order

#: ``source`` of every label the generator writes.
LABEL_SOURCE = "courier_app"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _timestamp(ms: int) -> datetime:
    """The aware UTC datetime of ``ms`` since the epoch (exact: no float seconds)."""
    return _EPOCH + timedelta(milliseconds=ms)


def delivery_label(pipeline: str, order: Order) -> Label:
    """The platform Label of ``order``: its delivery time in minutes (regression).

    ``label_time`` is the order's event time plus the delivery time: the courier's app
    reports the hand-over.
    """
    event_ms: int = order.event["event_time"]
    return {
        "pipeline": pipeline,
        "event_id": order.event["order_id"],
        "entity_key": order.event["restaurant_id"],
        "value": order.minutes,
        "event_time": _timestamp(event_ms),
        "label_time": _timestamp(event_ms + order.label_delay_ms),
        "source": LABEL_SOURCE,
    }
