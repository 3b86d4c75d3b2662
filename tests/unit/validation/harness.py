"""The runtime's part around a Validator, in memory: batches commit their state, and the
partial reports replicas publish come back as input to the owner, as Kafka would bring them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prometheus_client import CollectorRegistry

from streamops.pipeline import Pipeline
from streamops.runtime import BatchResult, InRecord
from streamops.state import StageState, StateSettings
from streamops_validation.metrics import ValidationMetrics
from streamops_validation.validator import (
    LabelTopics,
    ValidationTopics,
    Validator,
    validation_stores,
)
from tests.unit.state.fakes import FakeChangelog, commit_batch

LABELS = LabelTopics("fraud.labels", "fraud.labels.valid")
TOPICS = ValidationTopics(
    "fraud.events.raw", "fraud.events.valid", "fraud.alerts", "fraud.p", LABELS
)
STAGE = "fraud.validation"


class Clock:
    def __init__(self) -> None:
        self.ms = 1_800_000_000_000  # a multiple of every window size used here

    def __call__(self) -> int:
        return self.ms


class Replica:
    """One validation replica holding some partitions of its state."""

    def __init__(
        self,
        pipeline: Pipeline,
        partitions: int,
        owns: Iterable[int],
        clock: Clock,
        changelog: FakeChangelog,
        name: str = "0",
    ) -> None:
        self.state = StageState(
            validation_stores(pipeline), StateSettings(), consumer_factory=changelog.consumer
        )
        self.state.bind(STAGE, CollectorRegistry(), name)
        self.state.assign(set(owns), {})
        self.changelog = changelog
        self.metrics = ValidationMetrics(CollectorRegistry(), pipeline.name)
        self.validator = Validator(
            pipeline, self.state, TOPICS, partitions, STAGE, self.metrics, clock_ms=clock
        )

    def run(self, records: list[InRecord]) -> BatchResult:
        self.state.begin()
        result = self.validator.validate_batch(records)
        commit_batch(self.state, self.changelog, {})
        return result

    def tick(self) -> BatchResult:
        self.state.begin()
        result = BatchResult(outputs=self.validator.tick())
        commit_batch(self.state, self.changelog, {})
        return result


class Cluster:
    """Replicas sharing a clock and a changelog; partial reports go to the owner's next batch."""

    def __init__(self, pipeline: Pipeline, partitions: int = 1, replicas: int = 1) -> None:
        self.clock = Clock()
        self.changelog = FakeChangelog()
        self.partitions = partitions
        self.replicas = [
            Replica(
                pipeline,
                partitions,
                range(r, partitions, replicas),
                self.clock,
                self.changelog,
                str(r),
            )
            for r in range(replicas)
        ]
        self.alerts: list[dict[str, Any]] = []
        self.reports: list[dict[str, Any]] = []
        self._offsets: dict[tuple[str, int], int] = {}

    def owner(self) -> Replica:
        return next(r for r in self.replicas if 0 in r.state.assigned)

    def send(self, values: list[dict[str, Any]], partition: int = 0) -> BatchResult:
        """A batch of raw events of one partition, to the replica holding it."""
        return self.send_records([self._record(TOPICS.raw, partition, v) for v in values])

    def send_records(self, records: list[InRecord]) -> BatchResult:
        """A batch of records (of one partition) to the replica holding that partition."""
        partition = records[0].partition
        replica = next(r for r in self.replicas if partition in r.state.assigned)
        result = replica.run(records)
        self._deliver(result)
        return result

    def tick(self) -> None:
        """Every replica's idle tick; then the reports they published reach the owner in one
        batch, in the order they were written, as the one-partition partials topic brings them."""
        outputs = [o for replica in self.replicas for o in replica.tick().outputs]
        self._deliver(BatchResult(outputs=outputs))

    def _deliver(self, result: BatchResult) -> None:
        self.alerts += [o.value for o in result.outputs if o.topic == TOPICS.alerts]  # type: ignore[misc]
        reports = [o.value for o in result.outputs if o.topic == TOPICS.partials]
        self.reports += reports  # type: ignore[arg-type]
        if reports:
            self._deliver(self.owner().run([self._record(TOPICS.partials, 0, r) for r in reports]))

    def _record(self, topic: str, partition: int, value: Any, key: bytes | None = None) -> InRecord:
        offset = self._offsets.get((topic, partition), 0)
        self._offsets[(topic, partition)] = offset + 1
        value = dict(value) if isinstance(value, dict) else value
        return InRecord(topic, partition, offset, None, key, b"raw", value)
