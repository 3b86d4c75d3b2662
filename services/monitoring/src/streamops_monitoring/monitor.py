"""The monitoring transform: features, predictions and labels in; partials and alerts out.

Records of each input partition are counted by `PartitionMonitor` into intervals of event
time; closed intervals go to the partials topic; the owner (`owner.py`) reads them back,
adds them up and judges the windows. Everything remembered between batches is in the
stage's state, so a batch redone after an abort, a restart or a rebalance sees exactly
what it should:
- store ``monitor``: each partition's open intervals and clock and, in partition 0, the
  owner's partials, detectors, latest labelled predictions and open alerts;
- store ``pending`` (expiring in event time): predictions waiting for their label.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from streamops.contracts.types import MonitoringPartial
from streamops.runtime import BatchResult, InRecord, OutRecord
from streamops.state import StageState, StoreSpec
from streamops_monitoring.metrics import MonitoringMetrics
from streamops_monitoring.owner import KINDS, OWNER_PARTITION, Judged, Owner
from streamops_monitoring.partition import MONITOR, PENDING, PartitionMonitor, Timing
from streamops_monitoring.reference import Reference


@dataclass(frozen=True)
class MonitoringTopics:
    """The topics the monitor reads and writes (names from the catalog)."""

    features: str
    predictions: str
    labels: str | None  # labels.valid; None when the spec has no labels
    partials: str
    alerts: str


def monitoring_stores(timing: Timing) -> list[StoreSpec]:
    """The stores the monitor needs; pending predictions expire after their wait."""
    return [StoreSpec(MONITOR), StoreSpec(PENDING, ttl_ms=timing.wait_ms)]


def _now_ms() -> int:
    return int(time.time() * 1000)


class Monitor:
    """Counts, joins, publishes and judges; usable as a Stage transform and on_tick."""

    def __init__(
        self,
        state: StageState,
        topics: MonitoringTopics,
        partitions: PartitionMonitor,
        owner: Owner,
        reference: Callable[[], Reference | None],
        metrics: MonitoringMetrics | None = None,
        clock_ms: Callable[[], int] = _now_ms,
    ) -> None:
        self.state = state
        self.topics = topics
        self.partitions = partitions
        self.owner = owner
        self.reference = reference
        self.metrics = metrics
        self.clock_ms = clock_ms

    def monitor_batch(self, records: Sequence[InRecord]) -> BatchResult:
        """Count the batch's records, combine partials, publish and judge what closed."""
        ref, now = self.reference(), self.clock_ms()
        by_input: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
        owner_state = None
        for r in records:
            if r.topic == self.topics.partials:
                owner_state = owner_state or self.state.partition(MONITOR, OWNER_PARTITION)
                partial = cast(MonitoringPartial, r.value)
                if not self.owner.combine(owner_state, partial, now) and self.metrics is not None:
                    self.metrics.late_partials.labels(self.metrics.pipeline).inc()
            else:
                by_input[(r.topic, r.partition)].append(r.value)
        for (topic, p), rows in sorted(by_input.items()):
            state = self.state.partition(MONITOR, p)
            if topic == self.topics.features:
                self.partitions.features(state, rows, ref)
                self._count("features", len(rows))
            elif topic == self.topics.predictions:
                pending = self.state.partition(PENDING, p)
                joined = self.partitions.predictions(state, pending, rows, ref)
                self._count("predictions", len(rows))
                if self.metrics is not None and joined:
                    self.metrics.labelled.labels(self.metrics.pipeline, "label").inc(joined)
            else:
                pending = self.state.partition(PENDING, p)
                joined = self.partitions.labels(state, pending, rows)
                self._count("labels", len(rows))
                if self.metrics is not None and joined:
                    self.metrics.labelled.labels(self.metrics.pipeline, "label").inc(joined)
        if self.metrics is not None:
            for source, n in self.partitions.late.items():
                self.metrics.late.labels(self.metrics.pipeline, source).inc(n)
        self.partitions.late.clear()
        result = BatchResult()
        result.outputs.extend(self.tick(ref))
        return result

    def tick(self, ref: Reference | None = None) -> list[OutRecord]:
        """Publish the intervals that closed, and judge the windows that are in."""
        ref = ref or self.reference()
        now = self.clock_ms()
        outputs = []
        for p in sorted(self.state.assigned):
            if p >= self.partitions.partitions:
                continue  # the partials topic's partition beyond the inputs' (none here)
            state, pending = self.state.partition(MONITOR, p), self.state.partition(PENDING, p)
            partials, negatives = self.partitions.roll(p, state, pending, ref, now)
            outputs += [OutRecord(self.topics.partials, x, key=str(p)) for x in partials]
            if self.metrics is not None and negatives:
                self.metrics.labelled.labels(self.metrics.pipeline, "delay").inc(negatives)
        if OWNER_PARTITION in self.state.assigned:
            owner_state = self.state.partition(MONITOR, OWNER_PARTITION)
            judged = self.owner.decide(owner_state, ref, now)
            outputs += [OutRecord(self.topics.alerts, a, key=a["alert_id"]) for a in judged.alerts]
            self._gauge(judged, ref, owner_state)
        return outputs

    def _count(self, what: str, n: int) -> None:
        if self.metrics is not None:
            self.metrics.records.labels(self.metrics.pipeline, what).inc(n)

    def _gauge(self, judged: Judged, ref: Reference | None, owner_state: Any) -> None:
        m = self.metrics
        if m is None:
            return
        pipeline = m.pipeline
        for name, (test, value) in judged.feature_scores.items():
            m.drift.labels(pipeline, name, test).set(value)
        if judged.drifted_features is not None:
            m.drifted_features.labels(pipeline).set(judged.drifted_features)
        if judged.prediction_score is not None:
            test, value = judged.prediction_score
            m.prediction_drift.labels(pipeline, test).set(value)
        for version, figures in judged.performance.items():
            for metric, value in figures.items():
                m.performance.labels(pipeline, str(version), metric, "realised").set(value)
        for version, figures in judged.estimated.items():
            for metric, value in figures.items():
                m.performance.labels(pipeline, str(version), metric, "estimated").set(value)
        for version, figures in judged.gap.items():
            for metric, value in figures.items():
                m.estimate_gap.labels(pipeline, str(version), metric).set(value)
        for what, n in judged.windows.items():
            m.windows.labels(pipeline, what).inc(n)
        for what, at_ms in self.owner.progress(owner_state).items():
            what, _, partition = what.partition(":")
            m.progress.labels(pipeline, what, partition).set(at_ms / 1000)
        if ref is not None:
            m.champion.labels(pipeline).set(ref.version)
            for kind, n in self.owner.open_alerts(owner_state, ref.model_name).items():
                m.open_alerts.labels(pipeline, kind).set(n)
        else:
            for kind in KINDS:
                m.open_alerts.labels(pipeline, kind).set(0)
