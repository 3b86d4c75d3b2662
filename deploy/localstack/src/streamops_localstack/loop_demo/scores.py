"""The served predictions' primary metric over event time, and when it recovered.

The metric at event time t is computed over the last N predictions (N: the spec's
``drift.performance.window``) whose label is known at t: a transaction at e is labelled at
e + the label delay (a chargeback came by then, or none will: legitimate). "Recovered"
means what issue 13 says: after the drift, the metric is back within 90% of its level just
before it. Pure: the caller reads the topics.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn import metrics as skm

#: The share of the pre-drift level the metric must be back to.
RECOVERED_SHARE = 0.9
_METRICS = {"pr_auc": skm.average_precision_score, "roc_auc": skm.roc_auc_score}


@dataclass(frozen=True)
class Served:
    """One champion prediction, with the truth its label carries."""

    event_ms: int
    version: int
    score: float
    fraud: bool
    event_id: str = ""


@dataclass(frozen=True)
class Point:
    """The rolling metric once the labels of everything up to ``event_ms`` are known."""

    event_ms: int  #: event time of the newest prediction in the window
    known_ms: int  #: when its label was known (event time): where the point is plotted
    value: float
    version: int  #: the version that made the newest prediction


@dataclass(frozen=True)
class Recovery:
    """The metric before the drift, and where it came back (None: it did not)."""

    metric: str
    window: int
    before: float | None
    points: tuple[Point, ...]
    recovered: Point | None

    @property
    def target(self) -> float | None:
        return None if self.before is None else RECOVERED_SHARE * self.before


def rolling(
    served: Sequence[Served], metric: str, window: int, delay_ms: int, step: int = 250
) -> list[Point]:
    """The metric over each run of ``window`` predictions in event-time order, every
    ``step`` predictions; windows with a single class are skipped."""
    score = _METRICS.get(metric)
    if score is None:
        raise ValueError(f"the demo computes {sorted(_METRICS)}, not {metric!r}")
    rows = sorted(served, key=lambda s: s.event_ms)
    y = np.fromiter((s.fraud for s in rows), dtype=np.int8, count=len(rows))
    p = np.fromiter((s.score for s in rows), dtype=np.float64, count=len(rows))
    points = []
    for end in range(window, len(rows) + 1, step):
        truth = y[end - window : end]
        if 0 < truth.sum() < window:
            newest = rows[end - 1]
            value = float(score(truth, p[end - window : end]))
            points.append(Point(newest.event_ms, newest.event_ms + delay_ms, value, newest.version))
    return points


def recovery(
    served: Iterable[Served], metric: str, window: int, delay_ms: int, onset_ms: int
) -> Recovery:
    """The rolling metric, its level at the drift's onset, and the first point after the
    onset, by a version newer than the one serving at the onset, back to `RECOVERED_SHARE`
    of that level."""
    points = rolling(list(served), metric, window, delay_ms)
    before = [p for p in points if p.event_ms < onset_ms]
    if not before:
        return Recovery(metric, window, None, tuple(points), None)
    level, old = before[-1].value, before[-1].version
    back = next(
        (
            p
            for p in points
            if p.event_ms >= onset_ms and p.version > old and p.value >= RECOVERED_SHARE * level
        ),
        None,
    )
    return Recovery(metric, window, level, tuple(points), back)


def metric_of(served: Sequence[Served], metric: str) -> float | None:
    """The metric over ``served`` (None with a single class)."""
    y = [s.fraud for s in served]
    if not 0 < sum(y) < len(y):
        return None
    return float(_METRICS[metric](y, [s.score for s in served]))
