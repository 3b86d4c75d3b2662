"""The owner: combines every partition's partial reports and judges the spec's windows.

Rule failure rates, null rates and row counts are about the whole stream, so no replica
can judge them from its own partitions. Every replica publishes a partial report per
partition and interval (`intervals.py`) to the stage's one-partition partials topic; the
replica holding that partition (state partition 0) is the owner. Its state holds the
reports of the intervals not judged yet, where each window kind goes next, and the open
alerts, so a new owner takes over exactly where the last one stopped. A window is judged
once every partition has reported all of its intervals, or once reports published
``grace_ms`` after it ended have come in (a replica that is down must not hold alerts
back forever; the clock is the reports', so a lagging owner does not judge early). So
the verdicts do not depend on how many replicas there are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from streamops.alerts import Measurement, Window, judge
from streamops.contracts.types import Alert
from streamops.features import event_time_ms
from streamops.pipeline import AlertPolicy, Expectations, WindowExpectations
from streamops.state import PartitionState
from streamops_validation.intervals import interval_ms

OWNER_PARTITION = 0
_INTERVALS = "owner:intervals"  # sorted starts of the intervals held
_NEXT = "owner:next"  # window kind -> start of the next window to judge
_CLOCK = "owner:clock"  # the latest produced_at of the reports combined


@dataclass(frozen=True)
class Judged:
    """One judged window of one kind: its measurements and the alerts they called for."""

    kind: str
    window: Window
    measurements: list[Measurement]
    alerts: list[Alert]


class Owner:
    """Combines partial reports in the owner's state and judges windows when they are in."""

    def __init__(self, pipeline: str, expectations: Expectations, grace_ms: int) -> None:
        self.pipeline = pipeline
        self.interval_ms = interval_ms(expectations)
        self.grace_ms = grace_ms
        self.rates = expectations.alerts
        self.quality = expectations.window
        self.kinds = {"rates": int(self.rates.window.total_seconds() * 1000)}
        if self.quality is not None:
            self.kinds["quality"] = int(self.quality.size.total_seconds() * 1000)

    def combine(self, state: PartitionState, report: dict[str, Any]) -> bool:
        """Keep a partition's partial report until its windows are judged; False if too late."""
        start = event_time_ms(report["window"]["start"])
        following = state.get(_NEXT, {})
        if start < min(following.get(kind, start) for kind in self.kinds):
            return False  # every window it belongs to was judged without it
        key = f"owner:{start}"
        held = state.get(key) or {"parts": {}, "partitions": 0}
        held["parts"][str(report["partition"])] = {
            "records": report["window"]["record_count"],
            "complete": report["complete"],
            "failures": {f"{r['rule']}:{r['field']}": r["failures"] for r in report["rules"]},
            "nulls": {f["field"]: f["null_count"] for f in report["fields"]},
        }
        held["partitions"] = max(held["partitions"], report["partitions"] or 0)
        state.set(key, held)
        starts = state.get(_INTERVALS, [])
        if start not in starts:
            state.set(_INTERVALS, sorted([*starts, start]))
        return True

    def observe_time(self, state: PartitionState, report: dict[str, Any]) -> None:
        """Move the owner's clock: the latest time any replica published a report.

        Grace counts on this clock, not on the owner's own: an owner that lags behind the
        partials topic (after a failover, or a batch of old raw events first) must not
        judge a window without reports already written, only not read yet.
        """
        produced = event_time_ms(report["produced_at"])
        if produced > state.get(_CLOCK, produced - 1):
            state.set(_CLOCK, produced)

    def decide(self, state: PartitionState) -> list[Judged]:
        """Judge every window whose reports are all in, or whose grace has passed."""
        starts: list[int] = state.get(_INTERVALS, [])
        clock: int | None = state.get(_CLOCK)
        if not starts or clock is None:
            return []
        following: dict[str, int] = state.get(_NEXT, {})
        judged: list[Judged] = []
        for kind, size in self.kinds.items():
            window_start = following.get(kind, starts[0] - starts[0] % size)
            while window_start + size <= clock:
                held = [state.get(f"owner:{s}") for s in self._intervals(window_start, size)]
                if not self._ready(held, window_start + size, clock):
                    break
                judged.append(self._judge(state, kind, window_start, size, held))
                window_start += size
            following = {**following, kind: window_start}
        if following != state.get(_NEXT, {}):  # an idle owner writes nothing
            state.set(_NEXT, following)
            done = min(following.values())
            for start in (s for s in starts if s < done):
                state.delete(f"owner:{start}")
            state.set(_INTERVALS, [s for s in starts if s >= done])
        return judged

    def _intervals(self, start: int, size: int) -> Iterator[int]:
        return iter(range(start, start + size, self.interval_ms))

    def _ready(self, held: list[dict[str, Any] | None], end_ms: int, now_ms: int) -> bool:
        complete = all(h is not None and len(h["parts"]) >= h["partitions"] for h in held)
        return complete or now_ms >= end_ms + self.grace_ms

    def _judge(
        self,
        state: PartitionState,
        kind: str,
        start: int,
        size: int,
        held: list[dict[str, Any] | None],
    ) -> Judged:
        parts = [p for h in held if h is not None for p in h["parts"].values()]
        records = sum(p["records"] for p in parts)
        window = Window(start, start + size, records)
        if kind == "rates":
            measurements = _rates(self.rates, records, _sum(parts, "failures"))
        else:
            assert self.quality is not None
            whole = all(h is not None and len(h["parts"]) >= h["partitions"] for h in held) and all(
                p["complete"] for p in parts
            )
            measurements = _quality(self.quality, records, _sum(parts, "nulls"), whole)
        alerts = judge(self.pipeline, state, measurements, window)
        return Judged(kind, window, measurements, alerts)


def _sum(parts: list[dict[str, Any]], name: str) -> dict[str, int]:
    totals: dict[str, int] = {}
    for p in parts:
        for key, n in p[name].items():
            totals[key] = totals.get(key, 0) + n
    return totals


def _rates(policy: AlertPolicy, records: int, failures: dict[str, int]) -> list[Measurement]:
    """Failure rate of every rule, when the window holds enough records to say anything."""
    if records < policy.min_records:
        return []
    measurements = []
    for subject, failed in sorted(failures.items()):
        rule, field = subject.split(":", 1)
        rate = failed / records
        measurements.append(
            Measurement(
                subject,
                "failure_rate",
                rate,
                policy.failure_rate,
                opens=rate > policy.failure_rate,
                resolves=rate < policy.resolve_below,
                details={"rule": rule, "field": field, "failures": str(failed)},
            )
        )
    return measurements


def _quality(
    spec: WindowExpectations, records: int, nulls: dict[str, int], whole: bool
) -> list[Measurement]:
    """Null rates of the watched fields; the row count only on a window seen whole."""
    measurements = []
    for name, limit in spec.null_rate.items():
        if records:
            rate = nulls.get(name, 0) / records
            measurements.append(
                Measurement(
                    f"null_rate:{name}",
                    "null_rate",
                    rate,
                    limit,
                    opens=rate > limit,
                    resolves=rate <= limit,
                    details={"field": name},
                )
            )
    bounds = spec.row_count
    if bounds is not None and whole:
        low = bounds.min is not None and records < bounds.min
        high = bounds.max is not None and records > bounds.max
        broken = bounds.min if low else bounds.max if high else None
        limit = float(broken if broken is not None else bounds.min or bounds.max or 0)
        measurements.append(
            Measurement(
                "row_count",
                "row_count",
                float(records),
                limit,
                opens=low or high,
                resolves=not (low or high),
                details={"min": str(bounds.min), "max": str(bounds.max)},
            )
        )
    return measurements
