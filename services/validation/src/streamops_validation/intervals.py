"""Per-partition counts over aligned intervals of the processing clock, kept in the state.

Each replica counts what it validates per input partition over intervals aligned to the
epoch (so every replica's intervals line up), and when an interval ends it publishes the
partition's partial report (`DataQualityReport` with ``partition`` set) to the stage's
partials topic. One owner combines them into the spec's windows (`owner.py`). The
interval is the greatest common divisor of the rate window and the quality window, so
both are whole numbers of intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from streamops.contracts.types import DataQualityReport, FieldStats, RuleStats
from streamops.features import utc_datetime
from streamops.pipeline import Expectations
from streamops.state import PartitionState

OPEN = "interval"
#: Intervals a partition reports for at most when it catches up after a long silence; the
#: owner decides older windows without them (it waits only so long for a late partial).
MAX_CATCH_UP = 100


def interval_ms(expectations: Expectations) -> int:
    """The length of the intervals partitions report: divides every window of the spec."""
    sizes = [int(expectations.alerts.window.total_seconds() * 1000)]
    if expectations.window is not None:
        sizes.append(int(expectations.window.size.total_seconds() * 1000))
    return math.gcd(*sizes)


@dataclass(frozen=True)
class Batch:
    """What one batch of one partition adds to its interval."""

    records: int
    valid: int
    failures: dict[str, int]  # "rule:field" -> records failing it, zeros included
    nulls: dict[str, int]  # watched field -> nulls


class IntervalCounter:
    """Counts each partition's current interval in the state and closes it into a report."""

    def __init__(
        self, pipeline: str, stage: str, expectations: Expectations, partitions: int
    ) -> None:
        self.pipeline = pipeline
        self.stage = stage
        self.size_ms = interval_ms(expectations)
        self.partitions = partitions
        window = expectations.window
        self.watched = sorted(window.null_rate) if window is not None else []

    def add(self, part: PartitionState, now_ms: int, batch: Batch) -> list[DataQualityReport]:
        """Count ``batch`` into the partition's interval; reports of intervals that ended."""
        reports = self.roll(part, now_ms)
        current = part.get(OPEN)
        current["records"] += batch.records
        current["valid"] += batch.valid
        for name, counts in (("failures", batch.failures), ("nulls", batch.nulls)):
            totals = current[name]
            for key, n in counts.items():
                totals[key] = totals.get(key, 0) + n
        part.set(OPEN, current)
        return reports

    def roll(self, part: PartitionState, now_ms: int) -> list[DataQualityReport]:
        """Close the partition's interval if it has ended (and report silent ones after it)."""
        start = now_ms - now_ms % self.size_ms
        current = part.get(OPEN)
        if current is None:  # a partition never seen: its first interval is only partly seen
            part.set(OPEN, _empty(start, complete=now_ms == start))
            return []
        if current["start"] >= start:
            return []
        reports = [self._report(part.partition, current, now_ms)]
        silent = range(current["start"] + self.size_ms, start, self.size_ms)
        for gap_start in silent[-MAX_CATCH_UP:]:  # nothing was validated then
            reports.append(self._report(part.partition, _empty(gap_start, True), now_ms))
        part.set(OPEN, _empty(start, complete=True))
        return reports

    def _report(self, partition: int, c: dict[str, Any], now_ms: int) -> DataQualityReport:
        records = c["records"]
        rules: list[RuleStats] = []
        for key, failures in sorted(c["failures"].items()):
            rule, field = key.split(":", 1)
            rate = failures / records if records else 0.0
            rules.append(
                {
                    "rule": rule,
                    "field": field,
                    "evaluated": records,
                    "failures": failures,
                    "failure_rate": rate,
                }
            )
        fields: list[FieldStats] = [
            {
                "field": name,
                "count": records,
                "null_count": c["nulls"].get(name, 0),
                "null_rate": c["nulls"].get(name, 0) / records if records else 0.0,
            }
            for name in self.watched
        ]
        return {
            "pipeline": self.pipeline,
            "stage": self.stage,
            "window": {
                "start": utc_datetime(c["start"]),
                "end": utc_datetime(c["start"] + self.size_ms),
                "record_count": records,
            },
            "valid_count": c["valid"],
            "invalid_count": records - c["valid"],
            "rules": rules,
            "fields": fields,
            "produced_at": utc_datetime(now_ms),
            "partition": partition,
            "partitions": self.partitions,
            "complete": c["complete"],
        }


def _empty(start: int, complete: bool) -> dict[str, Any]:
    return {
        "start": start,
        "records": 0,
        "valid": 0,
        "failures": {},
        "nulls": {},
        "complete": complete,
    }
