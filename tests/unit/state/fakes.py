"""An in-memory changelog: what a committed batch wrote, read back by a fake consumer."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from confluent_kafka import KafkaError

from streamops.state import StageState
from streamops.state.records import ChangelogRecord


class FakeMessage:
    def __init__(
        self, topic: str, partition: int, key: bytes | None, value: bytes | None, eof: bool = False
    ) -> None:
        self._topic, self._partition, self._key, self._value, self._eof = (
            topic,
            partition,
            key,
            value,
            eof,
        )

    def error(self) -> KafkaError | None:
        return KafkaError(KafkaError._PARTITION_EOF) if self._eof else None

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return self._partition

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value


class FakeChangelog:
    """Committed changelog records per (topic, partition), in order; aborted ones never land."""

    def __init__(self) -> None:
        self.log: dict[tuple[str, int], list[ChangelogRecord]] = defaultdict(list)
        self.consumers_made = 0

    def append(self, records: Sequence[ChangelogRecord]) -> None:
        for r in records:
            self.log[(r.topic, r.partition)].append(r)

    def consumer(self, config: dict[str, Any]) -> FakeConsumer:
        assert config["isolation.level"] == "read_committed"
        assert config["enable.partition.eof"] is True
        self.consumers_made += 1
        return FakeConsumer(self)


class FakeConsumer:
    """Delivers each assigned partition's records in chunks, then its EOF event."""

    def __init__(self, changelog: FakeChangelog) -> None:
        self.changelog = changelog
        self.queue: list[FakeMessage] = []
        self.closed = False

    def assign(self, partitions: Sequence[Any]) -> None:
        for tp in partitions:
            for r in self.changelog.log.get((tp.topic, tp.partition), []):
                self.queue.append(FakeMessage(r.topic, r.partition, r.key, r.value))
            self.queue.append(FakeMessage(tp.topic, tp.partition, None, None, eof=True))

    def consume(self, num_messages: int, timeout: float) -> list[FakeMessage]:
        batch, self.queue = self.queue[:num_messages], self.queue[num_messages:]
        return batch

    def close(self) -> None:
        self.closed = True


def commit_batch(
    state: StageState, changelog: FakeChangelog, offsets: dict[tuple[str, int], int]
) -> list[ChangelogRecord]:
    """What the runtime does after a successful write phase: changelog durable, then commit."""
    records = state.prepare_commit(offsets)
    changelog.append(records)
    state.commit()
    return records
