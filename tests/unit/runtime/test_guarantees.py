"""Write-phase error handling, as librdkafka's transactional contract prescribes."""

from __future__ import annotations

import threading
import time
from typing import Any
from unittest import mock

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition
from prometheus_client import CollectorRegistry

from streamops.runtime.calls import TransactionStuck
from streamops.runtime.guarantees import (
    AtLeastOnce,
    AtLeastOnceWithState,
    DeliveryFailed,
    ExactlyOnce,
    Pending,
)
from streamops.runtime.metrics import StageMetrics
from streamops.state.records import ChangelogRecord

OFFSETS = [TopicPartition("in", 0, 10)]
RECORDS = [Pending("out", b"k", b"v")]


def _error(*, retriable: bool = False, abort: bool = False, fatal: bool = False) -> KafkaException:
    return KafkaException(
        KafkaError(
            KafkaError._STATE,
            "injected",
            fatal=fatal,
            retriable=retriable,
            txn_requires_abort=abort,
        )
    )


class FakeProducer:
    """Records calls; ``fail`` maps a method name to errors it raises on successive calls."""

    def __init__(
        self,
        fail: dict[str, list[Exception]] | None = None,
        full_times: int = 0,
        delivery_error: KafkaError | None = None,
    ) -> None:
        self.calls: list[str] = []
        self.fail = fail or {}
        self.full_times = full_times
        self.delivery_error = delivery_error
        self.produced: list[bytes] = []
        self._reports: list[Any] = []

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.fail.get(name):
            raise self.fail[name].pop(0)

    def produce(self, topic: str, value: bytes, key: bytes | None, **kw: Any) -> None:
        if self.full_times:
            self.full_times -= 1
            raise BufferError("Local: Queue full")
        self.produced.append(value)
        self._reports.append((kw["on_delivery"], FakeMessage(topic)))

    def poll(self, timeout: float) -> int:
        self.calls.append("poll")
        return 0

    def flush(self, timeout: float) -> int:
        self._call("flush")
        for on_delivery, message in self._reports:  # librdkafka reports deliveries here
            on_delivery(self.delivery_error, message)
        self._reports.clear()
        return 0

    def init_transactions(self, timeout: float) -> None:
        self._call("init_transactions")

    def begin_transaction(self) -> None:
        self._call("begin_transaction")

    def send_offsets_to_transaction(self, offsets: Any, metadata: Any, timeout: float) -> None:
        self._call("send_offsets_to_transaction")

    def commit_transaction(self, timeout: float) -> None:
        self._call("commit_transaction")

    def abort_transaction(self, timeout: float) -> None:
        self._call("abort_transaction")


class FakeMessage:
    def __init__(self, topic: str) -> None:
        self._topic = topic

    def topic(self) -> str:
        return self._topic


class FakeConsumer:
    def __init__(self, commit_error: Exception | None = None) -> None:
        self.committed: list[list[TopicPartition]] = []
        self.commit_error = commit_error

    def consumer_group_metadata(self) -> object:
        return object()

    def commit(self, offsets: list[TopicPartition], asynchronous: bool) -> None:
        if self.commit_error is not None:
            raise self.commit_error
        self.committed.append(offsets)


def _phase(kind: type, producer: FakeProducer, consumer: FakeConsumer | None = None) -> Any:
    metrics = StageMetrics("unit", CollectorRegistry())
    return kind(producer, consumer or FakeConsumer(), metrics, 1.0)


def _transactions(phase: Any, outcome: str) -> float:
    value = phase.metrics.registry.get_sample_value(
        "streamops_stream_transactions_total", {"stage": "unit", "outcome": outcome}
    )
    return value or 0.0


def test_exactly_once_commits_outputs_and_offsets_in_one_transaction() -> None:
    producer = FakeProducer()
    phase = _phase(ExactlyOnce, producer)
    phase.start()
    assert phase.write(RECORDS, OFFSETS) is True
    assert producer.calls == [
        "init_transactions",
        "begin_transaction",
        "send_offsets_to_transaction",
        "commit_transaction",
    ]
    assert producer.produced == [b"v"] and _transactions(phase, "commit") == 1


def test_retriable_errors_are_retried() -> None:
    producer = FakeProducer(
        {
            "commit_transaction": [_error(retriable=True)] * 2,
            "init_transactions": [_error(retriable=True)],
        }
    )
    phase = _phase(ExactlyOnce, producer)
    phase.start()
    assert phase.write(RECORDS, OFFSETS) is True
    assert producer.calls.count("commit_transaction") == 3
    assert producer.calls.count("init_transactions") == 2


def test_abortable_errors_abort_and_ask_for_the_batch_again() -> None:
    producer = FakeProducer({"send_offsets_to_transaction": [_error(abort=True)]})
    phase = _phase(ExactlyOnce, producer)
    assert phase.write(RECORDS, OFFSETS) is False
    assert producer.calls[-1] == "abort_transaction"
    assert "commit_transaction" not in producer.calls
    assert _transactions(phase, "abort") == 1


def test_offsets_not_added_within_the_timeout_abort_and_ask_for_the_batch_again() -> None:
    # after a broker restart the consumer's group membership may be gone (a static member
    # fenced), and librdkafka then never finishes adding the offsets: resuming the call
    # waited for ever (seen in a broker-crash run)
    timed_out = KafkaException(
        KafkaError(KafkaError._TIMED_OUT, "Timed out waiting for operation", retriable=True)
    )
    producer = FakeProducer({"send_offsets_to_transaction": [timed_out] * 3})
    phase = _phase(ExactlyOnce, producer)
    assert phase.write(RECORDS, OFFSETS) is False
    assert producer.calls == [
        "begin_transaction",
        "send_offsets_to_transaction",
        "abort_transaction",
    ]
    assert _transactions(phase, "abort") == 1


def test_a_transaction_retried_past_its_timeout_stops_the_stage() -> None:
    producer = FakeProducer({"commit_transaction": [_error(retriable=True)] * 100})
    phase = ExactlyOnce(
        producer, FakeConsumer(), StageMetrics("unit", CollectorRegistry()), 1.0, 0.25
    )
    with pytest.raises(TransactionStuck, match="could not commit the transaction within"):
        phase.write(RECORDS, OFFSETS)
    assert 2 <= producer.calls.count("commit_transaction") < 10  # every 0.1 s, for 0.25 s


def test_a_transactional_call_that_never_returns_stops_the_stage() -> None:
    release = threading.Event()

    class HangingProducer(FakeProducer):
        def commit_transaction(self, timeout: float) -> None:
            self.calls.append("commit_transaction")
            release.wait(10)  # as librdkafka's send_offsets_to_transaction once did, for good

    phase = _phase(ExactlyOnce, HangingProducer())
    phase.timeout_s = 0.1  # the call's own timeout; hung after 10 s more
    started = time.monotonic()
    with (
        mock.patch("streamops.runtime.guarantees._HANG_GRACE_S", 0.2),
        pytest.raises(TransactionStuck, match="did not return from the call to commit"),
    ):
        phase.write(RECORDS, OFFSETS)
    assert time.monotonic() - started < 2
    release.set()


def test_fatal_errors_stop_the_stage() -> None:
    producer = FakeProducer({"commit_transaction": [_error(fatal=True)]})
    with pytest.raises(KafkaException):
        _phase(ExactlyOnce, producer).write(RECORDS, OFFSETS)
    assert "abort_transaction" not in producer.calls


def test_at_least_once_commits_only_after_every_delivery_succeeded() -> None:
    consumer = FakeConsumer()
    phase = _phase(AtLeastOnce, FakeProducer(), consumer)
    assert phase.write(RECORDS, OFFSETS) is True
    assert consumer.committed == [OFFSETS]

    too_large = KafkaError(KafkaError.MSG_SIZE_TOO_LARGE)
    failing = _phase(AtLeastOnce, FakeProducer(delivery_error=too_large), consumer)
    with pytest.raises(DeliveryFailed, match=r"out: .*offsets not committed"):
        failing.write(RECORDS, OFFSETS)
    assert consumer.committed == [OFFSETS], "nothing more was committed"


def test_a_commit_lost_to_a_rebalance_is_not_fatal_under_at_least_once() -> None:
    lost = KafkaException(KafkaError(KafkaError.REBALANCE_IN_PROGRESS))
    assert _phase(AtLeastOnce, FakeProducer(), FakeConsumer(lost)).write(RECORDS, OFFSETS)
    other = KafkaException(KafkaError(KafkaError.GROUP_AUTHORIZATION_FAILED))
    with pytest.raises(KafkaException):
        _phase(AtLeastOnce, FakeProducer(), FakeConsumer(other)).write(RECORDS, OFFSETS)


def test_a_full_producer_queue_is_backpressure_not_an_error() -> None:
    producer = FakeProducer(full_times=3)
    assert _phase(AtLeastOnce, producer).write(RECORDS, OFFSETS)
    assert producer.produced == [b"v"]
    assert producer.calls.count("poll") == 3  # waited for deliveries to drain the queue


CHANGELOG = [ChangelogRecord("s.store.changelog", 0, b"dk", b"state")]


def test_exactly_once_puts_the_changelog_in_the_transaction() -> None:
    producer = FakeProducer()
    phase = _phase(ExactlyOnce, producer)
    assert phase.write(RECORDS, OFFSETS, CHANGELOG) is True
    assert producer.produced == [b"v", b"state"]
    assert producer.calls == [
        "begin_transaction",
        "send_offsets_to_transaction",
        "commit_transaction",
    ]


def test_at_least_once_with_state_flushes_outputs_then_commits_state_and_offsets() -> None:
    outputs, state = FakeProducer(), FakeProducer()
    consumer = FakeConsumer()
    phase = AtLeastOnceWithState(
        outputs, consumer, StageMetrics("unit", CollectorRegistry()), 1.0, state
    )
    phase.start()
    assert phase.write(RECORDS, OFFSETS, CHANGELOG) is True
    assert outputs.produced == [b"v"] and outputs.calls == ["flush"]
    assert state.produced == [b"state"]
    assert state.calls == [
        "init_transactions",
        "begin_transaction",
        "send_offsets_to_transaction",
        "commit_transaction",
    ]
    assert consumer.committed == [], "offsets go with the state, not through the consumer"


def test_at_least_once_with_state_redoes_the_batch_when_the_state_transaction_aborts() -> None:
    outputs = FakeProducer()
    state = FakeProducer({"commit_transaction": [_error(abort=True)]})
    phase = AtLeastOnceWithState(
        outputs, FakeConsumer(), StageMetrics("unit", CollectorRegistry()), 1.0, state
    )
    assert phase.write(RECORDS, OFFSETS, CHANGELOG) is False  # outputs may repeat; state not
    assert state.calls[-1] == "abort_transaction"


def test_a_stage_without_state_never_gets_changelog_records() -> None:
    with pytest.raises(ValueError, match="AtLeastOnceWithState"):
        _phase(AtLeastOnce, FakeProducer()).write(RECORDS, OFFSETS, CHANGELOG)
