"""Chargeback labels, and the ones waiting until they are due (on the producer's clock)."""

from __future__ import annotations

import heapq
from datetime import UTC, datetime, timedelta
from typing import Any

from streamops.contracts.types import Label

#: ``source`` of every label the generator writes.
LABEL_SOURCE = "chargebacks"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _timestamp(ms: int) -> datetime:
    """The aware UTC datetime of ``ms`` since the epoch (exact: no float seconds)."""
    return _EPOCH + timedelta(milliseconds=ms)


def chargeback_label(pipeline: str, event: dict[str, Any], delay_ms: int) -> Label:
    """The platform Label of a fraudulent ``event`` (as produced: its ids after any fault).

    ``label_time`` is ``event_time`` plus the real delay, so that label_time - event_time
    is the delay in event time after which the chargeback arrived.
    """
    event_ms: int = event["event_time"]
    return {
        "pipeline": pipeline,
        "event_id": event["transaction_id"],
        "entity_key": event["card_id"],
        "value": 1.0,
        "event_time": _timestamp(event_ms),
        "label_time": _timestamp(event_ms + delay_ms),
        "source": LABEL_SOURCE,
    }


class PendingLabels:
    """Labels ordered by when they are due, in the caller's seconds (a monotonic clock)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Label]] = []
        self._added = 0

    def add(self, label: Label, due_s: float) -> None:
        """Schedule ``label`` to be written at ``due_s``."""
        self._added += 1
        heapq.heappush(self._heap, (due_s, self._added, label))

    def pop_due(self, now_s: float) -> list[Label]:
        """The labels due at ``now_s``, earliest first, taken out of the schedule."""
        due = []
        heap = self._heap
        while heap and heap[0][0] <= now_s:
            due.append(heapq.heappop(heap)[2])
        return due

    def pop_all(self) -> list[Label]:
        """Every label still waiting, earliest first."""
        return self.pop_due(float("inf"))

    def next_due(self) -> float | None:
        """When the next label is due, or None when none waits."""
        return self._heap[0][0] if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)
