"""Rebalance callbacks of a stage with state: restore first, then resume where the state is."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition
from prometheus_client import CollectorRegistry

from streamops.runtime import StreamSettings, stateful
from streamops.runtime.stateful import Rebalance, StopRequested
from streamops.settings import KafkaSettings
from streamops.state import StageState, StoreSpec
from tests.unit.state.fakes import FakeChangelog, commit_batch


class FakeGroupConsumer:
    """The stage's consumer: the group's committed offsets, and what was assigned."""

    def __init__(
        self,
        committed: dict[tuple[str, int], int],
        timeouts: int = 0,
        clock: list[float] | None = None,
    ) -> None:
        self._committed = committed
        self.assigned: list[TopicPartition] = []
        self.timeouts = timeouts  # calls that time out first (offsets held back)
        self.clock = clock if clock is not None else [0.0]  # moved by the calls' waits
        self.waits: list[float] = []

    def committed(self, partitions: list[TopicPartition], timeout: float) -> list[Any]:
        self.waits.append(timeout)
        if self.timeouts:
            self.timeouts -= 1
            self.clock[0] += timeout
            raise KafkaException(KafkaError(KafkaError._TIMED_OUT, retriable=True))
        return [
            TopicPartition(
                tp.topic, tp.partition, self._committed.get((tp.topic, tp.partition), -1001)
            )
            for tp in partitions
        ]

    def assign(self, partitions: list[TopicPartition]) -> None:
        self.assigned = partitions


def test_a_partition_resumes_after_what_its_state_applied() -> None:
    changelog = FakeChangelog()
    before = StageState([StoreSpec("s")], consumer_factory=changelog.consumer)  # type: ignore[arg-type]
    before.bind("p.stage", CollectorRegistry(), "old")
    before.assign({0, 1}, {})
    before.partition("s", 0).set("k", 1)
    commit_batch(before, changelog, {("in", 0): 120, ("in", 1): 40})

    state = StageState([StoreSpec("s")], consumer_factory=changelog.consumer)  # type: ignore[arg-type]
    state.bind("p.stage", CollectorRegistry(), "new")
    beats: list[bool] = []
    rebalance = Rebalance(
        "p.stage",
        state,
        KafkaSettings(),
        StreamSettings(),
        on_progress=lambda: beats.append(rebalance.restoring),
    )
    # the group's commit of partition 0 was lost (100 < 120); partition 2 has no state yet
    consumer = FakeGroupConsumer({("in", 0): 100, ("in", 1): 40, ("in", 2): 7})
    partitions = [TopicPartition("in", p) for p in (0, 1, 2)]
    assert not rebalance.settled, "not ready before the group has given it its partitions"
    rebalance.on_assign(consumer, partitions)  # type: ignore[arg-type]
    assert rebalance.settled

    assert state.partition("s", 0).get("k") == 1, "restored before the first batch"
    assert beats and all(beats), "the restore beats the stage's liveness, and it is not ready"
    assert not rebalance.restoring
    offsets = {tp.partition: tp.offset for tp in consumer.assigned}
    assert offsets[0] == 120, "records 100..119 are in the state already: not applied twice"
    assert offsets[1] == 40
    assert offsets[2] < 0, "no state: the group's committed offset decides"

    rebalance.on_revoke(consumer, [TopicPartition("in", 1)])  # type: ignore[arg-type]
    assert state.assigned == {0, 2}


def _waiting(
    monkeypatch: pytest.MonkeyPatch, timeouts: int, stopping: bool = False
) -> tuple[Rebalance, FakeGroupConsumer]:
    """A rebalance whose first ``timeouts`` calls for the group's offsets time out, on a
    clock that only those waits move."""
    consumer = FakeGroupConsumer({("in", 0): 7}, timeouts)
    monkeypatch.setattr(stateful.time, "monotonic", lambda: consumer.clock[0])
    rebalance, _ = _short_waits(FakeChangelog(), stopping)
    return rebalance, consumer


def _short_waits(changelog: FakeChangelog, stopping: bool = False) -> tuple[Rebalance, StageState]:
    """A new replica's rebalance over ``changelog``, waiting 15 s at most (a transaction
    timeout of 5 s, and 10 s more)."""
    state = StageState([StoreSpec("s")], consumer_factory=changelog.consumer)  # type: ignore[arg-type]
    state.bind("p.stage", CollectorRegistry(), "new")
    rebalance = Rebalance(
        "p.stage",
        state,
        KafkaSettings(),
        StreamSettings(transaction_timeout_s=5),
        on_progress=lambda: None,
        stopping=lambda: stopping,
    )
    return rebalance, state


def test_offsets_held_back_are_waited_for_in_short_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    rebalance, consumer = _waiting(monkeypatch, timeouts=2)
    rebalance.on_assign(consumer, [TopicPartition("in", 0)])  # type: ignore[arg-type]
    assert consumer.waits == [5.0, 5.0, 5.0]  # each call short: SIGTERM is served between
    assert [tp.partition for tp in consumer.assigned] == [0]  # then assigned as usual


def test_a_stage_stopping_while_it_waits_for_offsets_takes_no_partitions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rebalance, consumer = _waiting(monkeypatch, timeouts=1, stopping=True)
    consumer.assigned = [TopicPartition("in", 9)]  # to see that an empty one is assigned
    with pytest.raises(StopRequested):
        rebalance.on_assign(consumer, [TopicPartition("in", 0)])  # type: ignore[arg-type]
    # an empty assignment: left unassigned, the client would assign them all itself
    assert consumer.assigned == [] and not rebalance.settled


def test_offsets_still_held_back_after_the_transaction_timeout_stop_the_stage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rebalance, consumer = _waiting(monkeypatch, timeouts=100)
    with pytest.raises(KafkaException):
        rebalance.on_assign(consumer, [TopicPartition("in", 0)])  # type: ignore[arg-type]
    assert consumer.waits == [5.0, 5.0, 5.0] and consumer.assigned == []


class LateMarkers(FakeChangelog):
    """A changelog whose last committed transaction becomes readable only after ``reads``
    restores have read it (its commit markers had not reached the partition yet)."""

    def __init__(self, reads: int) -> None:
        super().__init__()
        self.reads = reads
        self.late: list[Any] = []

    def consumer(self, config: dict[str, Any]) -> Any:
        if self.consumers_made >= self.reads:
            self.append(self.late)
            self.late = []
        return super().consumer(config)


def _committed_late(
    monkeypatch: pytest.MonkeyPatch, reads: int
) -> tuple[Rebalance, StageState, list[float]]:
    """Partition 0's state committed up to 100, then a batch to 120 whose changelog
    records stay unreadable for ``reads`` restores; the group's offset says 120."""
    changelog = LateMarkers(reads)
    before = StageState([StoreSpec("s")], consumer_factory=changelog.consumer)  # type: ignore[arg-type]
    before.bind("p.stage", CollectorRegistry(), "old")
    before.assign({0}, {})
    changelog.reads += changelog.consumers_made  # the new state's reads count
    before.partition("s", 0).set("k", 1)
    commit_batch(before, changelog, {("in", 0): 100})
    before.partition("s", 0).set("k", 2)
    changelog.late = before.prepare_commit({("in", 0): 120})
    before.commit()

    clock = [0.0]
    monkeypatch.setattr(stateful.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(stateful.time, "sleep", lambda s: clock.__setitem__(0, clock[0] + s))
    rebalance, state = _short_waits(changelog)
    return rebalance, state, clock


def test_a_state_behind_the_group_is_read_again_until_it_has_the_committed_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rebalance, state, clock = _committed_late(monkeypatch, reads=3)
    consumer = FakeGroupConsumer({("in", 0): 120})
    rebalance.on_assign(consumer, [TopicPartition("in", 0)])  # type: ignore[arg-type]
    # resuming at 100 would redo records 100..119, their outputs already committed
    assert [tp.offset for tp in consumer.assigned] == [120]
    assert state.partition("s", 0).get("k") == 2, "the late batch's state is in"
    assert clock[0] == 1.5, "three reads without the batch, each followed by a pause"
    assert rebalance.settled


def test_a_group_moved_past_the_state_by_hand_leaves_the_state_in_charge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rebalance, state, clock = _committed_late(monkeypatch, reads=10**6)
    consumer = FakeGroupConsumer({("in", 0): 120})
    rebalance.on_assign(consumer, [TopicPartition("in", 0)])  # type: ignore[arg-type]
    assert [tp.offset for tp in consumer.assigned] == [100]
    assert state.partition("s", 0).get("k") == 1
    assert clock[0] >= 15, "given up only after the transaction timeout and more"
