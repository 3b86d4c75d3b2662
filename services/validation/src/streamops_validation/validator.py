"""The validation transform: raw events in; valid events, rejections, reports and alerts out.

Labels, when the spec has a ``labels`` section, come in too: good ones go to labels.valid
unchanged, bad ones are rejected with their reasons (`labels.py`). They are not events:
they count in no quality window, report or alert.

Everything it remembers between batches is in the stage's state (`streamops.state`), so
a batch redone after an abort, a restart or a rebalance sees exactly what it should:
- store ``seen`` (per partition, expiring): values of the spec's unique fields in the
  current quality window;
- store ``windows``: each partition's open interval counts (`intervals.py`) and, in
  partition 0, the owner's reports and open alerts (`owner.py`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from streamops.alerts import open_count
from streamops.pipeline import Pipeline
from streamops.runtime import BatchResult, InRecord, OutRecord, Reason, Rejection
from streamops.state import StageState, StoreSpec
from streamops_validation.intervals import Batch, IntervalCounter
from streamops_validation.labels import LabelChecks, label_checks
from streamops_validation.metrics import ValidationMetrics
from streamops_validation.owner import OWNER_PARTITION, Judged, Owner
from streamops_validation.rules import compile_rules, evaluate, value_text

SEEN, WINDOWS = "seen", "windows"


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class LabelTopics:
    """Where labels come in (the spec's label topic) and where good ones go (labels.valid)."""

    source: str
    valid: str


@dataclass(frozen=True)
class ValidationTopics:
    """The topics the validator reads and writes (names from the catalog)."""

    raw: str
    valid: str
    alerts: str
    partials: str
    labels: LabelTopics | None = None  # None: labels are not consumed


def validation_stores(pipeline: Pipeline) -> list[StoreSpec]:
    """The stores the validator needs; unique values expire after two quality windows."""
    window = pipeline.spec.expectations.window
    size_ms = int(window.size.total_seconds() * 1000) if window is not None else 60_000
    return [StoreSpec(SEEN, ttl_ms=2 * size_ms), StoreSpec(WINDOWS)]


class Validator:
    """Applies a pipeline's expectations; usable as a Stage transform and on_tick."""

    def __init__(
        self,
        pipeline: Pipeline,
        state: StageState,
        topics: ValidationTopics,
        partitions: int,
        stage: str,
        metrics: ValidationMetrics | None = None,
        clock_ms: Callable[[], int] = _now_ms,
        grace_ms: int = 10_000,
    ) -> None:
        spec = pipeline.spec
        expectations = spec.expectations
        self.topics = topics
        self.state = state
        self.partitions = partitions
        self.rules = compile_rules(dict(expectations.fields))
        self.metrics = metrics
        self.clock_ms = clock_ms
        window = expectations.window
        self.unique = list(window.unique) if window is not None else []
        self.watched = sorted(window.null_rate) if window is not None else []
        self.unique_window_ms = int(window.size.total_seconds() * 1000) if window else 60_000
        self.counter = IntervalCounter(spec.name, stage, expectations, partitions)
        self.owner = Owner(spec.name, expectations, grace_ms)
        self.label_checks = label_checks(spec)
        self.subjects = sorted(
            {f"{r.rule}:{r.field}" for r in self.rules}
            | {f"unique:{name}" for name in self.unique}
            | {f"null_rate:{name}" for name in self.watched}
            | ({"row_count"} if window is not None and window.row_count is not None else set())
        )

    def validate_batch(self, records: Sequence[InRecord]) -> BatchResult:
        """Valid events to events.valid and good labels to labels.valid; every failing record
        rejected with all its reasons; partial reports combined by the owner."""
        now = self.clock_ms()
        result = BatchResult()
        events = [r for r in records if r.topic == self.topics.raw]
        label_topics = self.topics.labels
        if label_topics is not None and self.label_checks is not None:
            labels = [r for r in records if r.topic == label_topics.source]
            self._check_labels(labels, self.label_checks, label_topics.valid, result)
        owner_state = None
        for r in records:
            if r.topic == self.topics.partials:
                owner_state = owner_state or self.state.partition(WINDOWS, OWNER_PARTITION)
                self.owner.observe_time(owner_state, r.value)
                if not self.owner.combine(owner_state, r.value) and self.metrics is not None:
                    self.metrics.late_reports.labels(self.metrics.pipeline).inc()
        if events:
            self._validate(events, now, result)
        result.outputs.extend(self.tick(now))
        return result

    def tick(self, now_ms: int | None = None) -> list[OutRecord]:
        """Close the intervals that ended into reports, and judge the windows that are in."""
        now = self.clock_ms() if now_ms is None else now_ms
        outputs = []
        for p in sorted(self.state.assigned):
            if p < self.partitions:
                for report in self.counter.roll(self.state.partition(WINDOWS, p), now):
                    outputs.append(OutRecord(self.topics.partials, report, key=str(p)))
        if OWNER_PARTITION in self.state.assigned:
            owner_state = self.state.partition(WINDOWS, OWNER_PARTITION)
            judged = self.owner.decide(owner_state)
            outputs += [
                OutRecord(self.topics.alerts, a, key=a["alert_id"])
                for j in judged
                for a in j.alerts
            ]
            self._gauge(owner_state, judged)
        return outputs

    def _validate(self, events: list[InRecord], now: int, result: BatchResult) -> None:
        values = [r.value for r in events]
        failures, counts = evaluate(self.rules, values)
        reasons: dict[int, list[Reason]] = {
            i: [
                Reason(rule.rule, rule.explain(v), field=rule.field, value=value_text(v))
                for rule, v in failed
            ]
            for i, failed in failures.items()
        }
        for i, name, value in self._repeats(events, now):
            reasons.setdefault(i, []).append(
                Reason(
                    "unique",
                    f"{name} {value!r} was already seen in this window",
                    field=name,
                    value=value_text(value),
                )
            )
            counts[("unique", name)] = counts.get(("unique", name), 0) + 1
        per_partition: dict[int, list[int]] = {}
        for i, record in enumerate(events):
            per_partition.setdefault(record.partition, []).append(i)
            why = reasons.get(i)
            if why is None:
                result.outputs.append(
                    OutRecord(self.topics.valid, record.value, record.key, source=record)
                )
            else:
                result.rejected.append(Rejection(record, "VALIDATION", why))
        for p, indices in per_partition.items():
            batch = self._partition_batch(indices, values, reasons, counts)
            for report in self.counter.add(self.state.partition(WINDOWS, p), now, batch):
                result.outputs.append(OutRecord(self.topics.partials, report, key=str(p)))
        self._count(len(events) - len(reasons), len(reasons), counts)

    def _check_labels(
        self, labels: list[InRecord], checks: LabelChecks, valid: str, result: BatchResult
    ) -> None:
        """Good labels to ``valid``, unchanged and under their key; bad ones rejected."""
        invalid = 0
        for record in labels:
            reasons = checks.check(record.value, record.key)
            if reasons:
                result.rejected.append(Rejection(record, "VALIDATION", reasons))
                invalid += 1
            else:
                result.outputs.append(OutRecord(valid, record.value, record.key, source=record))
        if self.metrics is not None and labels:
            m = self.metrics
            m.labels.labels(m.pipeline, "valid").inc(len(labels) - invalid)
            m.labels.labels(m.pipeline, "invalid").inc(invalid)

    def _repeats(self, events: list[InRecord], now: int) -> list[tuple[int, str, Any]]:
        """(index, field, value) of every unique-field value already seen in this window."""
        window_start = now - now % self.unique_window_ms
        repeats = []
        seen_by_partition: dict[int, Any] = {}
        for name in self.unique:
            prefix = f"{name}\0"
            for i, r in enumerate(events):
                value = r.value.get(name)
                if value is None:
                    continue
                seen = seen_by_partition.get(r.partition)
                if seen is None:
                    seen = seen_by_partition[r.partition] = self.state.partition(SEEN, r.partition)
                key = (prefix + str(value)).encode()
                if seen.get(key) == window_start:
                    repeats.append((i, name, value))
                else:
                    seen.set(key, window_start, time_ms=now)
        return repeats

    def _partition_batch(
        self,
        indices: list[int],
        values: list[dict[str, Any]],
        reasons: dict[int, list[Reason]],
        counts: dict[tuple[str, str], int],
    ) -> Batch:
        failing: dict[str, int] = {f"{rule}:{field}": 0 for rule, field in counts}
        for i in indices:
            for reason in reasons.get(i, ()):
                key = f"{reason.rule}:{reason.field}"
                failing[key] = failing.get(key, 0) + 1
        nulls = {
            name: sum(1 for i in indices if values[i].get(name) is None) for name in self.watched
        }
        valid = sum(1 for i in indices if i not in reasons)
        return Batch(len(indices), valid, failing, nulls)

    def _gauge(self, owner_state: Any, judged: list[Judged]) -> None:
        m = self.metrics
        if m is None:
            return
        m.open_alerts.labels(m.pipeline).set(open_count(owner_state, self.subjects))
        for j in judged:
            for measurement in j.measurements:
                if measurement.statistic == "null_rate":
                    m.null_ratio.labels(m.pipeline, measurement.details["field"]).set(
                        measurement.value
                    )

    def _count(self, valid: int, invalid: int, counts: dict[tuple[str, str], int]) -> None:
        m = self.metrics
        if m is None:
            return
        m.records.labels(m.pipeline, "valid").inc(valid)
        m.records.labels(m.pipeline, "invalid").inc(invalid)
        for (rule, field), n in counts.items():
            if n:
                m.failures.labels(m.pipeline, rule, field).inc(n)
