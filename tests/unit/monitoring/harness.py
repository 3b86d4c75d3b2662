"""The runtime's part around a Monitor, in memory: batches commit their state, and the
partials replicas publish come back as input to the owner, as Kafka would bring them.

The reference is built the way training builds it (`streamops_training.profile`) from
synthetic data: seven numeric features and two categorical ones, as the issue's "2 of 9".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from prometheus_client import CollectorRegistry

from streamops.pipeline import Pipeline
from streamops.runtime import BatchResult, InRecord
from streamops.state import StageState, StateSettings
from streamops_monitoring.metrics import MonitoringMetrics
from streamops_monitoring.monitor import Monitor, MonitoringTopics, monitoring_stores
from streamops_monitoring.owner import Owner
from streamops_monitoring.partition import PartitionMonitor
from streamops_monitoring.reference import Reference, reference_of
from streamops_monitoring.service import timing
from streamops_training.profile import categorical_profile, numeric_profile
from tests.unit.state.fakes import FakeChangelog, commit_batch

TOPICS = MonitoringTopics(
    "fraud.features", "fraud.predictions", "fraud.labels.valid", "fraud.mp", "fraud.alerts"
)
STAGE = "fraud.monitoring"
T0 = 1_800_000_000_000 - 1_800_000_000_000 % 3_600_000  # on an hour
NUMERIC = [f"x{i}" for i in range(7)]
CATEGORICAL = ["channel", "country"]
CHANNELS, CHANNEL_P = ["pos", "web", "mobile", "atm"], [0.5, 0.3, 0.15, 0.05]
COUNTRIES, COUNTRY_P = ["DE", "FR", "NL", "IT"], [0.4, 0.3, 0.2, 0.1]


def draw(rng: np.random.Generator, n: int, shift: Iterable[str] = ()) -> list[dict[str, Any]]:
    """``n`` rows of the reference's distribution; features in ``shift`` moved."""
    shift = set(shift)
    rows: list[dict[str, Any]] = [{} for _ in range(n)]
    for i, name in enumerate(NUMERIC):
        values = rng.lognormal(3 + i * 0.1, 0.8, n)
        if name in shift:
            values = values * 1.6
        for row, v in zip(rows, values.tolist(), strict=True):
            row[name] = v
    channels = rng.choice(CHANNELS, n, p=[0.2, 0.2, 0.2, 0.4] if "channel" in shift else CHANNEL_P)
    countries = rng.choice(COUNTRIES, n, p=COUNTRY_P)
    if "country" in shift:
        countries = np.where(rng.random(n) < 0.2, "PL", countries)
    for row, c, k in zip(rows, channels.tolist(), countries.tolist(), strict=True):
        row["channel"], row["country"] = c, k
    return rows


def reference(seed: int = 1, n: int = 20_000, version: int = 1, hours: bool = False) -> Reference:
    """A champion ``version`` whose reference profile is ``n`` rows of `draw` (with
    ``hours``, also an ``hour_of_day`` feature spread over the whole day)."""
    rows = draw(np.random.default_rng(seed), n)
    numeric = [*NUMERIC, "hour_of_day"] if hours else NUMERIC
    if hours:
        for row, hour in zip(rows, np.random.default_rng(seed + 2).integers(0, 24, n), strict=True):
            row["hour_of_day"] = int(hour)
    profiles = [numeric_profile(f, np.asarray([r[f] for r in rows])) for f in numeric]
    profiles += [categorical_profile(f, np.asarray([r[f] for r in rows])) for f in CATEGORICAL]
    scores = np.random.default_rng(seed + 1).beta(0.5, 20, n)
    return reference_of(
        {
            "model_name": "fraud-detector",
            "version": version,
            "task": "BINARY_CLASSIFICATION",
            "decision_threshold": 0.5,
            "metrics": {"pr_auc": 0.7},
            "feature_names": numeric + CATEGORICAL,
            "reference_profile": {
                "record_count": n,
                "features": profiles,
                "prediction": numeric_profile("score", scores),
            },
        }
    )


class Replica:
    """One monitoring replica holding some partitions of its state."""

    def __init__(
        self,
        pipeline: Pipeline,
        partitions: int,
        owns: Iterable[int],
        ref: list[Reference | None],
        changelog: FakeChangelog,
        name: str = "0",
        wall: list[int] | None = None,
        settings: StateSettings | None = None,
    ) -> None:
        times = timing(pipeline)
        self.state = StageState(
            monitoring_stores(times),
            settings or StateSettings(),
            consumer_factory=changelog.consumer,
        )
        self.state.bind(STAGE, CollectorRegistry(), name)
        self.state.assign(set(owns), {})
        self.changelog = changelog
        self.registry = CollectorRegistry()
        self.metrics = MonitoringMetrics(self.registry, pipeline.name)
        self.monitor = Monitor(
            self.state,
            TOPICS,
            PartitionMonitor(pipeline.name, times, partitions, "binary"),
            Owner(pipeline, {}, "binary"),
            lambda: ref[0],
            self.metrics,
            clock_ms=lambda: (wall or [T0])[0],
        )

    def run(self, records: list[InRecord]) -> BatchResult:
        self.state.begin()
        result = self.monitor.monitor_batch(records)
        commit_batch(self.state, self.changelog, {})
        return result


class Cluster:
    """Replicas sharing a changelog; partials go to the owner's next batch."""

    def __init__(
        self,
        pipeline: Pipeline,
        partitions: int = 1,
        replicas: int = 1,
        settings: StateSettings | None = None,
    ) -> None:
        self.changelog = FakeChangelog()
        self.settings = settings  #: the replicas' state backend (default: memory)
        self.ref: list[Reference | None] = [reference()]
        #: the replicas' wall clock (ms), moved by tests that let a partition fall silent
        self.wall = [T0]
        self.pipeline = pipeline
        self.partitions = partitions
        self.replicas = [
            Replica(
                pipeline,
                partitions,
                range(r, partitions, replicas),
                self.ref,
                self.changelog,
                str(r),
                self.wall,
                settings,
            )
            for r in range(replicas)
        ]
        self.alerts: list[dict[str, Any]] = []
        self.partials: list[dict[str, Any]] = []
        self._offsets: dict[tuple[str, int], int] = {}

    def owner(self) -> Replica:
        return next(r for r in self.replicas if 0 in r.state.assigned)

    def send(self, topic: str, rows: list[dict[str, Any]], partition: int) -> None:
        replica = next(r for r in self.replicas if partition in r.state.assigned)
        self._deliver(replica.run([self._record(topic, partition, v) for v in rows]))

    def restart(self) -> None:
        """Every replica starts again from the changelog (a crash, a deploy); the old ones'
        stores are closed first (a disk store's lock is the process's)."""
        owned = [set(r.state.assigned) for r in self.replicas]
        for r in self.replicas:
            r.state.close()
        self.replicas = [
            Replica(
                self.pipeline,
                self.partitions,
                owned[i],
                self.ref,
                self.changelog,
                str(i),
                self.wall,
                self.settings,
            )
            for i in range(len(owned))
        ]

    def _deliver(self, result: BatchResult) -> None:
        self.alerts += [o.value for o in result.outputs if o.topic == TOPICS.alerts]  # type: ignore[misc]
        partials = [o.value for o in result.outputs if o.topic == TOPICS.partials]
        self.partials += partials  # type: ignore[arg-type]
        if partials:
            self._deliver(self.owner().run([self._record(TOPICS.partials, 0, p) for p in partials]))

    def _record(self, topic: str, partition: int, value: Any) -> InRecord:
        offset = self._offsets.get((topic, partition), 0)
        self._offsets[(topic, partition)] = offset + 1
        return InRecord(topic, partition, offset, None, None, b"raw", dict(value))
