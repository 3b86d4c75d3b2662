"""The write phase of a micro-batch: make outputs durable, then commit the input offsets.

Three implementations: at-least-once (flush, then commit offsets); at-least-once with
state (flush the outputs, then the state's changelog records and the offsets in one
transaction, so state and offsets never disagree and a redone batch is not counted twice
into the state); exactly-once (outputs, changelog records and offsets in one
transaction). Error handling follows librdkafka's transactional producer contract:
retriable errors are retried, abortable ones abort the transaction (the stage then
rolls the state back, rewinds and redoes the batch), fatal ones stop the stage. Limits
of our own, for a broker that restarts after the consumer's session expired (its static
membership is then fenced): offsets not added to the transaction within the operation
timeout abort it (the next consume reports the consumer's fate); no transactional call
is retried past the transaction timeout, which the broker enforces by aborting; and a
call that does not return 10 s after its own timeout counts as hung (one was seen waiting
for good). The last two stop the stage (`TransactionStuck`): a fresh start fences this
producer and redoes the batch.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from streamops.runtime.calls import retrying
from streamops.runtime.metrics import StageMetrics
from streamops.runtime.records import Headers
from streamops.state.records import ChangelogRecord

log = logging.getLogger(__name__)
#: how long past its own timeout a transactional call may take before it counts as hung
_HANG_GRACE_S = 10.0

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


@dataclass(slots=True)
class Pending:
    """One encoded record waiting to be produced (one per output: not frozen, as the
    per-record types of `streamops.runtime.records` are not, since a frozen dataclass
    costs three times as much to make)."""

    topic: str
    key: bytes | None
    value: bytes
    headers: Headers | None = None


class WritePhase(ABC):
    """Makes a batch's outputs durable and commits its input offsets."""

    def __init__(
        self,
        producer: Producer,
        consumer: Consumer,
        metrics: StageMetrics,
        timeout_s: float,
        transaction_timeout_s: float = 60.0,
    ) -> None:
        self.producer = producer
        self.consumer = consumer
        self.metrics = metrics
        #: one flush, commit or transactional call
        self.timeout_s = timeout_s
        #: the broker aborts a transaction open longer (``transaction.timeout.ms``)
        self.transaction_timeout_s = transaction_timeout_s
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
        until = time.monotonic() + self.transaction_timeout_s
        producer.begin_transaction()
        try:
            produce()
            if offsets and not self._send_offsets(producer, offsets, until):
                return self._abort(producer)
            retrying(
                lambda: producer.commit_transaction(self.timeout_s),
                until,
                "commit the transaction",
                hang_s=self.timeout_s + _HANG_GRACE_S,
            )
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            if error.fatal() or not error.txn_requires_abort():
                raise
            log.warning("aborting the transaction (%s); the batch will be redone", error.str())
            return self._abort(producer)
        self.metrics.transaction("commit")
        return True

    def _send_offsets(
        self, producer: Producer, offsets: list[TopicPartition], until: float
    ) -> bool:
        """Add ``offsets`` to the transaction; False if that timed out (abort it then)."""
        metadata = self.consumer.consumer_group_metadata()
        try:
            retrying(
                lambda: producer.send_offsets_to_transaction(offsets, metadata, self.timeout_s),
                until,
                "add the offsets to the transaction",
                retry_timeouts=False,
                hang_s=self.timeout_s + _HANG_GRACE_S,
            )
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError._TIMED_OUT:
                raise
            log.warning(
                "the offsets were not added to the transaction within %.0f s (the consumer's "
                "group membership may be gone, e.g. after the broker restarted): aborting it; "
                "the batch will be redone",
                self.timeout_s,
            )
            return False
        return True

    def _abort(self, producer: Producer) -> bool:
        until = time.monotonic() + self.transaction_timeout_s
        retrying(
            lambda: producer.abort_transaction(self.timeout_s),
            until,
            "abort the transaction",
            hang_s=self.timeout_s + _HANG_GRACE_S,
        )
        self.metrics.transaction("abort")
        return False


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
        transaction_timeout_s: float = 60.0,
    ) -> None:
        super().__init__(producer, consumer, metrics, timeout_s, transaction_timeout_s)
        self.state_producer = state_producer

    def start(self) -> None:
        retrying(lambda: self.state_producer.init_transactions(self.timeout_s))

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
        retrying(lambda: self.producer.init_transactions(self.timeout_s))

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
