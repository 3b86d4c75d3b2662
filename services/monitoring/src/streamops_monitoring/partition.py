"""Per partition: records counted into intervals of event time, predictions joined with labels.

Each input partition keeps, in the stage's state (store ``monitor``), one open interval
per ``step`` of event time: the feature values and the champion's scores counted on the
reference's bins, and the labelled predictions whose label became known in it. Once the
partition's event time (the newest it has seen, on any input) has passed an interval's
end by ``grace``, the interval is published as a MonitoringPartial for the owner and
forgotten. Records for an interval already published (an input the consumer fetched far
behind another) are counted as late and published again as a supplement, which the owner
adds to what it holds unless it has judged that interval's windows already.

Predictions wait for their label in store ``pending`` (`join.py`), and each labelled
one is kept in the interval its label became known in (`outcomes.py`). Only predictions
serving wrote for the stream (source STREAM) are joined: each event has those once per
version, while HTTP requests may score events the stream never sees.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from streamops.contracts.types import MonitoringPartial
from streamops.features import event_time_ms
from streamops.state import PartitionState
from streamops_monitoring.estimate import histogram
from streamops_monitoring.join import LabelJoin
from streamops_monitoring.outcomes import (
    chunks_of,
    empty_interval,
    score,
    store_outcomes,
)
from streamops_monitoring.partials import PartialBuilder
from streamops_monitoring.reference import Reference

MONITOR, PENDING = "monitor", "pending"
_CLOCK = "clock"
_MAX_EMPTY = 48  # empty intervals published in one go after a jump of event time


@dataclass(frozen=True)
class Timing:
    """Interval length, grace, and the label delay after which a prediction is negative."""

    step_ms: int
    grace_ms: int
    negative_after_ms: int | None  # None: no negative_after_delay
    wait_ms: int  # how long a prediction or an early label waits for the other side
    lead_ms: int  # how far the features may run ahead of lagging predictions


class PartitionMonitor:
    """Counts one partition's records into intervals and publishes the closed ones."""

    def __init__(self, pipeline: str, timing: Timing, partitions: int, task: str) -> None:
        self.timing = timing
        self.partitions = partitions
        self.task = task
        self.join = LabelJoin(timing, task)
        self.partial = PartialBuilder(pipeline, partitions, timing.step_ms)
        #: records that came after their interval was published, by input, since the
        #: caller last read them (for metrics; the partials carry each partition's count)
        self.late: Counter[str] = Counter()

    # -- inputs ------------------------------------------------------------------------

    def features(
        self, state: PartitionState, rows: list[dict[str, Any]], ref: Reference | None
    ) -> None:
        """Count features records on the reference's bins."""
        times = [event_time_ms(r["event_time"]) for r in rows]
        clock = self._clock(state, times, "features", _inputs(ref))
        for start, group in self._by_interval(clock, rows, times, "features").items():
            interval = self._interval(state, start, ref)
            if interval is None:
                continue
            interval["n"] += len(group)
            if ref is not None:
                counts = interval["f"]
                for name, b in ref.features.items():
                    if name in group[0]:
                        counts[name] = _add(counts.get(name), b.count([r[name] for r in group]))
            state.set(f"i:{start}", interval)
        state.set(_CLOCK, clock)

    def predictions(
        self,
        state: PartitionState,
        pending: PartitionState,
        rows: list[dict[str, Any]],
        ref: Reference | None,
    ) -> int:
        """Count the champion's scores; keep every stream prediction for its label (or join
        it with a label that came first); the number joined."""
        rows = [r for r in rows if r.get("source") in ("STREAM", None)]
        if not rows:
            return 0
        times = [event_time_ms(r["event_time"]) for r in rows]
        clock = self._clock(state, times, "predictions", _inputs(ref))
        champion = [
            i
            for i, r in enumerate(rows)
            if ref is not None
            and r["served_by"] == "CHAMPION"
            and r["model_version"] == ref.version
            and r["model_name"] == ref.model_name
        ]
        by_interval = self._by_interval(
            clock, [rows[i] for i in champion], [times[i] for i in champion], "predictions"
        )
        for start, group in by_interval.items():
            interval = self._interval(state, start, ref)
            if interval is None:
                continue
            interval["pn"] += len(group)
            if self.task == "binary":  # for the estimate before labels (estimate.py)
                interval["h"] = _add(interval.get("h"), histogram([r["score"] for r in group]))
            bins = ref.prediction if ref is not None else None
            if bins is not None:  # multiclass: the top class, on the reference's classes
                values = (score(r) if bins.numeric else r["predicted_label"] for r in group)
                interval["s"] = _add(interval["s"], bins.count(values))
            state.set(f"i:{start}", interval)
        outcomes = self.join.hold(pending, clock, rows, times)
        store_outcomes(state, clock, outcomes, self.timing.step_ms)
        state.set(_CLOCK, clock)
        return len(outcomes)

    def labels(
        self, state: PartitionState, pending: PartitionState, rows: list[dict[str, Any]]
    ) -> int:
        """Join labels with the predictions waiting for them; the number joined."""
        # label times are another clock (days after the events): they move no interval,
        # but how far the labels have been read bounds when a silence means "negative"
        clock = self._clock(state, (), "labels")
        newest = max((event_time_ms(r["label_time"]) for r in rows), default=None)
        if newest is not None and newest > (clock.get("labels") or newest - 1):
            clock["labels"] = newest
        outcomes = self.join.join(pending, rows)
        store_outcomes(state, clock, outcomes, self.timing.step_ms)
        state.set(_CLOCK, clock)
        return len(outcomes)

    # -- publishing --------------------------------------------------------------------

    def roll(
        self,
        partition: int,
        state: PartitionState,
        pending: PartitionState,
        ref: Reference | None,
        now_ms: int,
    ) -> tuple[list[MonitoringPartial], int]:
        """Label what waited past the delay, then publish the intervals that closed.

        Returns the partials and how many predictions were labelled negative by delay."""
        clock = state.get(_CLOCK)
        if clock is None or clock["wm"] is None:
            return [], 0
        negatives = self._negatives(state, pending, clock)
        closed_before = clock["wm"] - self.timing.grace_ms - self.timing.step_ms
        step, build = self.timing.step_ms, self.partial.build
        partials: list[MonitoringPartial] = []
        starts = sorted(s for s in clock["open"] if s <= closed_before)
        empty = 0
        for start in starts:
            while clock["next"] < start and empty < _MAX_EMPTY:  # quiet intervals say so too
                partials.append(build(partition, None, [], clock, ref, now_ms))
                clock["next"] += step
                empty += 1
            interval = state.get(f"i:{start}")
            chunks = [state.get(f"o:{start}:{k}") or [] for k in range(chunks_of(interval))]
            first = chunks[0] if chunks else []
            partials.append(build(partition, interval, first, clock, ref, now_ms, start))
            # the other chunks of outcomes follow as supplements: counts of nothing
            version = partials[-1]["model_version"]
            partials += [
                build(partition, None, more, clock, ref, now_ms, start, version)
                for more in chunks[1:]
            ]
            for k in range(len(chunks)):
                state.delete(f"o:{start}:{k}")
            state.delete(f"i:{start}")
            clock["next"] = max(clock["next"], start + step)
        while clock["next"] <= closed_before and empty < _MAX_EMPTY:
            partials.append(build(partition, None, [], clock, ref, now_ms))
            clock["next"] += step
            empty += 1
        clock["next"] = max(clock["next"], closed_before - closed_before % step)
        if partials or negatives:
            clock["open"] = [s for s in clock["open"] if s > closed_before]
            state.set(_CLOCK, clock)
        return partials, negatives

    # -- helpers -----------------------------------------------------------------------

    def _clock(
        self,
        state: PartitionState,
        times: Iterable[int],
        source: str,
        expected: tuple[str, ...] = ("features",),
    ) -> dict[str, Any]:
        """The partition's clock, moved by ``times`` of input ``source``.

        Each input keeps its own newest event time; the partition's watermark is the
        slowest ``expected`` input's (features, and predictions once there is a champion),
        so predictions of a serving process that lags behind the features service, or that
        the consumer has not fetched yet, are not late. It never stays more than
        `Timing.lead_ms` behind the features: predictions that stopped (serving is down)
        must not hold the verdicts back for ever. Predictions ahead of the features never
        move it: they are made from features records, so the features are only not
        fetched yet (a backlog of the larger records), and counting them late would leave
        them out of their windows.
        """
        clock = state.get(_CLOCK) or {
            "wm": None,
            "by": {},
            "next": None,
            "open": [],
            "due": [],
            "late": 0,
        }
        newest = max(times, default=None)
        if newest is None:
            return clock
        by = clock["by"]
        by[source] = max(by.get(source, newest), newest)
        slowest = min((by[s] for s in expected if s in by), default=None)
        ahead = by.get("features", max(by.values())) - self.timing.lead_ms
        wm = ahead if slowest is None or any(s not in by for s in expected) else max(slowest, ahead)
        if clock["wm"] is None or wm > clock["wm"]:
            clock["wm"] = wm
        if clock["next"] is None:
            first = newest - self.timing.grace_ms
            clock["next"] = first - first % self.timing.step_ms
        return clock

    def _by_interval(
        self, clock: dict[str, Any], rows: list[dict[str, Any]], times: list[int], source: str
    ) -> dict[int, list[dict[str, Any]]]:
        """``rows`` (their event times ``times``) by the interval they fall in."""
        step, groups = self.timing.step_ms, defaultdict(list)
        for r, t in zip(rows, times, strict=True):
            groups[t - t % step].append(r)
        for start, group in groups.items():
            if start < clock["next"]:  # published already: these go out as a supplement
                clock["late"] += len(group)
                self.late[source] += len(group)
            if start not in clock["open"]:
                clock["open"].append(start)
        return groups

    def _interval(
        self, state: PartitionState, start: int, ref: Reference | None
    ) -> dict[str, Any] | None:
        """The interval's counts to add to; None if it began on another version's bins
        (a promotion in its middle): its records stay uncounted, as the owner then judges
        no window holding it, rather than a window of the records after the switch."""
        version = ref.version if ref is not None else 0
        interval = state.get(f"i:{start}")
        if interval is None:
            return empty_interval(version)
        if interval["v"] == version:
            return dict(interval)
        if interval["n"] or interval["pn"]:
            return None
        return {**interval, "v": version}  # outcomes only so far: no bins to mix

    def _negatives(
        self, state: PartitionState, pending: PartitionState, clock: dict[str, Any]
    ) -> int:
        """Label negative what waited past its delay (`LabelJoin.negatives`); how many."""
        due = len(clock["due"])
        outcomes = self.join.negatives(pending, clock)
        if len(clock["due"]) != due:
            store_outcomes(state, clock, outcomes, self.timing.step_ms)
            state.set(_CLOCK, clock)
        return len(outcomes)


def _inputs(ref: Reference | None) -> tuple[str, ...]:
    """The inputs whose event time the partition waits for: predictions only once there
    is a champion to write them."""
    return ("features",) if ref is None else ("features", "predictions")


def _add(total: list[int] | None, more: list[int]) -> list[int]:
    if total is None:
        return more
    return [a + b for a, b in zip(total, more, strict=True)]
