"""Which write phase a stage gets: its guarantee's (`guarantees`), and with state the
state's changelog records added to each batch and its buffered writes committed or
rolled back with it."""

from __future__ import annotations

from collections.abc import Sequence

from confluent_kafka import Consumer, Producer, TopicPartition

from streamops.runtime.clients import state_producer_config
from streamops.runtime.guarantees import (
    AtLeastOnce,
    AtLeastOnceWithState,
    ExactlyOnce,
    Pending,
    WritePhase,
)
from streamops.runtime.metrics import StageMetrics
from streamops.runtime.settings import StreamSettings
from streamops.settings import KafkaSettings
from streamops.state import StageState
from streamops.state.records import ChangelogRecord


class WithState(WritePhase):
    """A write phase that adds the state's changelog to each batch and then commits the
    state's buffered writes, or rolls them back if the batch is to be redone."""

    def __init__(self, inner: WritePhase, state: StageState) -> None:
        super().__init__(inner.producer, inner.consumer, inner.metrics, inner.timeout_s)
        self.inner = inner
        self.state = state

    def start(self) -> None:
        self.inner.start()

    def write(
        self,
        records: Sequence[Pending],
        offsets: list[TopicPartition],
        changelog: Sequence[ChangelogRecord] = (),
    ) -> bool:
        state = self.state
        changes = state.prepare_commit({(tp.topic, tp.partition): tp.offset for tp in offsets})
        try:
            written = self.inner.write(records, offsets, [*changelog, *changes])
        except BaseException:
            state.rollback()
            raise
        if written:
            state.commit()
        else:
            state.rollback()
        return written


def write_phase(
    stage: str,
    kafka: KafkaSettings,
    settings: StreamSettings,
    producer: Producer,
    consumer: Consumer,
    metrics: StageMetrics,
    state: StageState | None,
) -> WritePhase:
    """The write phase of the settings' guarantee; with ``state``, its changelog added."""
    timeout, transaction = settings.operation_timeout_s, settings.transaction_timeout_s
    if settings.processing_guarantee == "exactly_once":
        phase: WritePhase = ExactlyOnce(producer, consumer, metrics, timeout, transaction)
    elif state is None:
        return AtLeastOnce(producer, consumer, metrics, timeout)
    else:
        state_producer = Producer(state_producer_config(stage, kafka, settings))
        phase = AtLeastOnceWithState(
            producer, consumer, metrics, timeout, state_producer, transaction
        )
    return phase if state is None else WithState(phase, state)
