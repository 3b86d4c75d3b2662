"""Issue 13 item 8's targets, judged on the median over the seeds, as the issue measures
them ("median over 3 seeds"), with every seed's misses listed beside the verdict.

Pure functions of what `test_closed_loop` measured, so that the verdicts are unit-tested
(tests/unit/test_loop_targets.py) without playing a loop.

- promotion: the median, over the seeds, of the seconds from the first post-drift labels
  being due to the first promotion of a retrain on alerts, at most ``PROMOTION_TARGET_S``;
- the static model: in every hour after the onset, the median over the seeds of streamops'
  PR-AUC minus the static model's (on the same rows) at least 0;
- ARF: in every whole hour that starts once the median seed has recovered, the median of
  streamops' PR-AUC minus ARF's at least ``-ARF_POINTS``.

A seed that did not promote or did not recover counts as later than any that did.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

PROMOTION_TARGET_S = 60.0
ARF_POINTS = 0.02


@dataclass(frozen=True)
class Seed:
    """What one seed's play measured: seconds after the labels were due to the promotion
    and event seconds from the onset to the recovery (None: it did not happen); each hour
    after the onset, as `test_closed_loop._windows` gives it (``hour``, and per peer
    ``"vs static"`` / ``"vs arf"``: the PR-AUC gap with its 90% interval)."""

    seed: int
    promotion_after_labels_due_s: float | None
    recovered_after_onset_s: float | None
    windows: Sequence[dict[str, Any]]


@dataclass(frozen=True)
class HourMedian:
    hour: float
    vs_static: float | None
    vs_arf: float | None
    recovered: bool  # the hour starts once the median seed has recovered


@dataclass(frozen=True)
class Verdicts:
    promotion_s: float | None
    promotion_met: bool
    hours: list[HourMedian]
    static_met: bool
    arf_met: bool | None  # None: the median seed did not recover, nothing to judge
    below_static: list[str]  # each seed's hour below the static model: "seed 21 hour 5-6 ..."
    below_arf: list[str]  # each seed's recovered hour more than ARF_POINTS below ARF


def judge(seeds: Sequence[Seed], onset_hour: float) -> Verdicts:
    """The three targets on the median over ``seeds``; ``onset_hour`` is the hour of event
    time (from the stream's start) at which the drift begins."""
    promotion = median_or_never([s.promotion_after_labels_due_s for s in seeds])
    recovered = median_or_never([s.recovered_after_onset_s for s in seeds])
    recovered_hour = None if recovered is None else onset_hour + recovered / 3600
    hours = []
    for hour in sorted({w["hour"] for s in seeds for w in s.windows}):
        rows = [w for s in seeds for w in s.windows if w["hour"] == hour]
        if len(rows) < len(seeds):
            continue  # an hour only the longer streams reach: no median over every seed
        hours.append(
            HourMedian(
                hour,
                _median_gap(rows, "vs static"),
                _median_gap(rows, "vs arf"),
                recovered_hour is not None and hour >= recovered_hour,
            )
        )
    arf_gaps = [h.vs_arf for h in hours if h.recovered and h.vs_arf is not None]
    return Verdicts(
        promotion_s=promotion,
        promotion_met=promotion is not None and promotion <= PROMOTION_TARGET_S,
        hours=hours,
        static_met=bool(hours) and all(h.vs_static is not None and h.vs_static >= 0 for h in hours),
        arf_met=None if not arf_gaps else all(g >= -ARF_POINTS for g in arf_gaps),
        below_static=[
            _miss(s.seed, w, "vs static")
            for s in seeds
            for w in s.windows
            if "vs static" in w and w["vs static"][0] < 0
        ],
        below_arf=[
            _miss(s.seed, w, "vs arf")
            for s in seeds
            if s.recovered_after_onset_s is not None
            for w in s.windows
            if w["hour"] >= onset_hour + s.recovered_after_onset_s / 3600
            and "vs arf" in w
            and w["vs arf"][0] < -ARF_POINTS
        ],
    )


def report(v: Verdicts) -> list[str]:
    """The lines `test_closed_loop` prints under the seeds' own tables."""
    lines = [
        "median over seeds, per hour: streamops PR-AUC minus static's, minus arf's "
        "(* from the median recovery on)"
    ]
    for h in v.hours:
        lines.append(
            f"  {h.hour:5.1f}  {_signed(h.vs_static)}   {_signed(h.vs_arf)}"
            + ("  *" if h.recovered else "")
        )
    promotion = "-" if v.promotion_s is None else f"{v.promotion_s:.1f} s"
    arf = {None: "not judged (the median seed did not recover)", True: "met", False: "MISSED"}
    lines += [
        f"target, promotion <= {PROMOTION_TARGET_S:.0f} s after the labels were due: "
        f"{'met' if v.promotion_met else 'MISSED'} ({promotion}, median)",
        "target, at least the static model in every hour (median): "
        f"{'met' if v.static_met else 'MISSED'}; seeds' hours below it: "
        f"{'; '.join(v.below_static) or 'none'}",
        f"target, within {ARF_POINTS * 100:.0f} points of arf once recovered (median): "
        f"{arf[v.arf_met]}; seeds' recovered hours beyond it: "
        f"{'; '.join(v.below_arf) or 'none'}",
    ]
    return lines


def median_or_never(values: Sequence[float | None]) -> float | None:
    """The median, a missing value (None: it did not happen) counting as later than any;
    None if the median itself is missing."""
    ordered = sorted(math.inf if v is None else v for v in values)
    if not ordered:
        return None
    found = statistics.median(ordered)
    return None if math.isinf(found) else found


def _median_gap(rows: Sequence[dict[str, Any]], key: str) -> float | None:
    gaps = [w[key][0] for w in rows if key in w]
    return statistics.median(gaps) if len(gaps) == len(rows) else None


def _miss(seed: int, w: dict[str, Any], key: str) -> str:
    gap, low, high = w[key]
    hour = f"{w['hour']:.0f}-{w['hour'] + 1:.0f}"
    return f"seed {seed} hour {hour} {gap:+.3f} [{low:+.3f}, {high:+.3f}]"


def _signed(value: float | None) -> str:
    return "     -" if value is None else f"{value:+.3f}"
