"""The write phase of a micro-batch: make outputs durable, then commit the input offsets.

Three implementations: at-least-once (flush, then commit offsets); at-least-once with
state (flush the outputs, then the state's changelog records and the offsets in one
transaction, so state and offsets never disagree and a redone batch is not counted twice
into the state); exactly-once (outputs, changelog records and offsets in one
transaction). Error handling follows librdkafka's transactional producer contract:
retriable errors are retried, abortable ones abort the transaction (the stage then
rolls the state back, rewinds and redoes the batch), fatal ones stop the stage.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from streamops.runtime.metrics import StageMetrics
from streamops.runtime.records import Headers
from streamops.state.records import ChangelogRecord

log = logging.getLogger(__name__)
T = TypeVar("T")

# Commit failures that only mean "the group moved on": another replica owns the partition
# now and will redo the records from the last committed offset (at-least-once allows that).
_REBALANCE_ERRORS = {
    KafkaError.REBALANCE_IN_PROGRESS,
    KafkaError.ILLEGAL_GENERATION,
    KafkaError.UNKNOWN_MEMBER_ID,
    KafkaError.FENCED_INSTANCE_ID,
    KafkaError._ASSIGNMENT_LOST,
    KafkaError._NO_OFFSET,
}


class DeliveryFailed(RuntimeError):
    """Outputs could not be written; nothing of the batch was committed, so it will be redone."""


@dataclass(slots=True, frozen=True)
class Pending:
    """One encoded record waiting to be produced."""

    topic: str
    key: bytes | None
    value: bytes
    headers: Headers | None = None


class WritePhase(ABC):
    """Makes a batch's outputs durable and commits its input offsets."""

    def __init__(
        self, producer: Producer, consumer: Consumer, metrics: StageMetrics, timeout_s: float
    ) -> None:
        self.producer = producer
        self.consumer = consumer
        self.metrics = metrics
        self.timeout_s = timeout_s
        self.delivery_errors: list[str] = []

    def start(self) -> None:
        """Prepare before the first batch (e.g. initialise transactions)."""
        log.debug("%s write phase ready", type(self).__name__)

    @abstractmethod
    def write(
        self,
        records: Sequence[Pending],
        offsets: list[TopicPartition],
        changelog: Sequence[ChangelogRecord] = (),
    ) -> bool:
        """Produce ``records`` and ``changelog`` and commit ``offsets``; False: redo the batch."""

    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            self.delivery_errors.append(f"{msg.topic()}: {err.str()}")

    def _produce_all(self, records: Sequence[Pending]) -> None:
        produce, on_delivery = self.producer.produce, self._on_delivery
        for r in records:
            while True:
                try:
                    produce(r.topic, r.value, r.key, headers=r.headers, on_delivery=on_delivery)
                    break
                except BufferError:
                    # the local queue is full: backpressure, wait for deliveries to drain it
                    self.producer.poll(0.05)

    def _produce_changelog(self, producer: Producer, records: Sequence[ChangelogRecord]) -> None:
        produce, on_delivery = producer.produce, self._on_delivery
        for r in records:
            while True:
                try:
                    produce(r.topic, r.value, r.key, partition=r.partition, on_delivery=on_delivery)
                    break
                except BufferError:
                    producer.poll(0.05)

    def _transaction(
        self, producer: Producer, produce: Callable[[], None], offsets: list[TopicPartition]
    ) -> bool:
        """Run ``produce`` and commit ``offsets`` in one transaction; False if it was aborted."""
        producer.begin_transaction()
        try:
            produce()
            if offsets:
                metadata = self.consumer.consumer_group_metadata()
                _retrying(
                    lambda: producer.send_offsets_to_transaction(offsets, metadata, self.timeout_s)
                )
            _retrying(lambda: producer.commit_transaction(self.timeout_s))
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            if error.fatal() or not error.txn_requires_abort():
                raise
            log.warning("aborting the transaction (%s); the batch will be redone", error.str())
            _retrying(lambda: producer.abort_transaction(self.timeout_s))
            self.metrics.transaction("abort")
            return False
        self.metrics.transaction("commit")
        return True


class AtLeastOnce(WritePhase):
    """Flush the outputs, check every delivery, then commit the offsets synchronously."""

    def write(
        self,
        records: Sequence[Pending],
        offsets: list[TopicPartition],
        changelog: Sequence[ChangelogRecord] = (),
    ) -> bool:
        if changelog:
            raise ValueError("a stage with state needs AtLeastOnceWithState")
        self._flush_outputs(records)
        if not offsets:  # records that came from no input: nothing to commit
            return True
        try:
            self.consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            if exc.args[0].code() not in _REBALANCE_ERRORS:
                raise
            log.warning(
                "offsets not committed (%s): partitions moved, the new owner redoes them",
                exc.args[0].str(),
            )
        return True

    def _flush_outputs(self, records: Sequence[Pending]) -> None:
        self.delivery_errors.clear()
        self._produce_all(records)
        while (left := self.producer.flush(self.timeout_s)) > 0:
            log.warning("still waiting for %d deliveries after %.0f s", left, self.timeout_s)
        if self.delivery_errors:
            raise DeliveryFailed(
                f"{len(self.delivery_errors)} outputs were not written, e.g. "
                f"{self.delivery_errors[0]}; offsets not committed"
            )


class AtLeastOnceWithState(AtLeastOnce):
    """Outputs flushed first; then the changelog records and the offsets in one transaction.

    A crash between the two repeats the batch's outputs (at-least-once) but never its
    state changes: the state and the committed offsets move together. The transactional
    producer is a second one, so outputs stay outside any transaction.
    """

    def __init__(
        self,
        producer: Producer,
        consumer: Consumer,
        metrics: StageMetrics,
        timeout_s: float,
        state_producer: Producer,
    ) -> None:
        super().__init__(producer, consumer, metrics, timeout_s)
        self.state_producer = state_producer

    def start(self) -> None:
        _retrying(lambda: self.state_producer.init_transactions(self.timeout_s))

    def write(
        self,
        records: Sequence[Pending],
        offsets: list[TopicPartition],
        changelog: Sequence[ChangelogRecord] = (),
    ) -> bool:
        self._flush_outputs(records)
        return self._transaction(
            self.state_producer,
            lambda: self._produce_changelog(self.state_producer, changelog),
            offsets,
        )


class ExactlyOnce(WritePhase):
    """Outputs, dead letters, changelog records and input offsets in one transaction."""

    def start(self) -> None:
        # Also fences a previous incarnation with the same transactional.id and aborts its
        # open transaction, so read_committed consumers are not held up after a crash.
        _retrying(lambda: self.producer.init_transactions(self.timeout_s))

    def write(
        self,
        records: Sequence[Pending],
        offsets: list[TopicPartition],
        changelog: Sequence[ChangelogRecord] = (),
    ) -> bool:
        def produce() -> None:
            self._produce_all(records)
            self._produce_changelog(self.producer, changelog)

        return self._transaction(self.producer, produce, offsets)


def _retrying(call: Callable[[], T]) -> T:
    """Call again while librdkafka says the error is retriable."""
    while True:
        try:
            return call()
        except KafkaException as exc:
            if not exc.args[0].retriable():
                raise
            log.info("retrying after a retriable error: %s", exc.args[0].str())
            time.sleep(0.1)
