"""The Kafka side the examples share: generated events to ``{p}.events.raw`` (PII treated,
Avro) and their labels to ``{p}.labels``, paced on the wall clock or a simulated one.

With a time scale (`streamops_examples.fraud.clock`), events and labels are written on a
simulated clock: each when event time, running N times faster than the wall clock,
reaches its event time or label time. Without one, events follow the wall rate and a
label is written once its delay has passed in wall-clock time. The labels still waiting
at the end are written then (``flush_labels``) or reported as pending. Each example says
what it generates, how a record is keyed and which records have a label.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Generic, Protocol, TypeVar

from confluent_kafka import KafkaError, Message, Producer

from streamops.contracts.types import Label
from streamops.pipeline.pii import PiiTreatment
from streamops.serde import AvroEncoder
from streamops.topics import TopicNames
from streamops_examples.fraud.clock import Pace, SimulatedClock, resolve_pace
from streamops_examples.fraud.labels import PendingLabels

#: librdkafka settings for throughput: large batches, a short linger, cheap compression.
PRODUCER_CONFIG: dict[str, str | int | float | bool] = {
    "linger.ms": 20,
    "batch.size": 1_000_000,
    "compression.type": "lz4",
    "queue.buffering.max.messages": 1_000_000,
    "queue.buffering.max.kbytes": 1_048_576,
    "enable.idempotence": True,
}
_POLL_EVERY = 1024  # events between polls, due-label checks and progress reports

ProgressCallback = Callable[[int, int], None]  # (events produced, labels produced)

S = TypeVar("S")  # an example's scenario


@dataclass(frozen=True)
class PacedOptions(Generic[S]):
    """What to produce and how fast; rates and time scale as `resolve_pace` combines them
    (contradicting ones raise `PaceError` here, at construction)."""

    count: int
    seed: int = 1
    rate: float | None = None  # events per wall-clock second; None or 0: as fast as possible
    event_time_rate: float | None = None  # events per event-time second
    time_scale: float | None = None  # event time runs this many times faster; None: no clock
    scenario: S | None = None
    flush_labels: bool = True
    start_ms: int | None = None  # event time the generator starts from; None: now
    flush_timeout_s: float = 60.0

    def __post_init__(self) -> None:
        self.pace()  # raises for contradicting rates: before anything is produced

    def pace(self) -> Pace:
        """The resolved wall rate, event-time rate and time scale."""
        return resolve_pace(self.rate, self.event_time_rate, self.time_scale)


@dataclass
class PacedReport:
    """What one run produced, for the summary and the exit code."""

    events_topic: str
    labels_topic: str
    events: int = 0
    labels_produced: int = 0
    labels_flushed: int = 0  # of labels_produced: written at the end, before they were due
    labels_pending: int = 0
    time_scale: float | None = None
    first_event_ms: int | None = None  # event time of the first and the last event
    last_event_ms: int | None = None
    faults: Counter[str] = field(default_factory=Counter)  # by rule
    phases: list[tuple[str, int, int]] = field(default_factory=list)  # name, [start, end)
    delivered: int = 0
    delivery_failures: int = 0
    first_error: str | None = None
    elapsed_s: float = 0.0
    interrupted: bool = False

    @property
    def labels_on_time(self) -> int:
        """Labels written when they were due."""
        return self.labels_produced - self.labels_flushed

    @property
    def events_per_second(self) -> float:
        """Events produced per wall-clock second, the final flush included."""
        return self.events / self.elapsed_s if self.elapsed_s > 0 else 0.0


class GeneratedRecord(Protocol):
    """One generated event as the loop needs it: the event and the rules it breaks."""

    @property
    def event(self) -> dict[str, Any]: ...

    @property
    def faults(self) -> list[tuple[str, str]]: ...


Opts = TypeVar("Opts", bound=PacedOptions[Any])
T = TypeVar("T", bound=GeneratedRecord)
R = TypeVar("R", bound=PacedReport)


class PacedProducer(ABC, Generic[Opts, T, R]):
    """Writes an example's generated events and their labels to one pipeline's topics."""

    #: the event field a record is keyed by
    key_field: str

    def __init__(
        self,
        producer: Producer,
        pipeline: str,
        events: AvroEncoder,
        labels: AvroEncoder,
        pii: PiiTreatment,
        *,
        labels_topic: str | None = None,
        wall_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.producer = producer
        self.pipeline = pipeline
        topics = TopicNames(pipeline)
        self.events_topic = topics.events_raw
        self.labels_topic = labels_topic or topics.labels
        self.events = events
        self.labels = labels
        self.pii = pii
        self._now = wall_clock  # seconds; the waiting is done in producer.poll
        self._report = self._new_report()

    @abstractmethod
    def _new_report(self) -> R:
        """An empty report for this producer's topics."""

    @abstractmethod
    def _phases(self, options: Opts) -> list[tuple[str, int, int]]:
        """The scenario's phases by name and [start, end) event index; [] without one."""

    @abstractmethod
    def _generate(self, options: Opts, start_ms: int, pace: Pace) -> Iterator[T]:
        """The generated records, starting at event time ``start_ms``."""

    @abstractmethod
    def _count_and_label(self, record: T, event: dict[str, Any]) -> tuple[int, Label] | None:
        """Count ``record`` in the example's own figures; its label and the label's
        event-time delay (ms), or None when it has none. ``event`` is the treated event."""

    def run(self, options: Opts, on_progress: ProgressCallback | None = None) -> R:
        """Produce ``options.count`` events and their labels; wait for every delivery.

        Interrupted (Ctrl-C), it stops generating but still delivers and reports what it
        produced, and sets ``interrupted``.
        """
        report = self._report = self._new_report()
        report.phases = self._phases(options)
        pace = options.pace()
        report.time_scale = pace.time_scale
        pending = PendingLabels()
        start_ms = options.start_ms if options.start_ms is not None else int(time.time() * 1000)
        records = self._generate(options, start_ms, pace)  # builds the world: before the clock
        started = self._now()
        try:
            self._produce_events(records, pace, pending, on_progress)
        except KeyboardInterrupt:
            report.interrupted = True
        self._produce_labels(pending.pop_due(self._now()))
        if options.flush_labels:
            early = pending.pop_all()
            report.labels_flushed = len(early)
            self._produce_labels(early)
        report.labels_pending = len(pending)
        undelivered = self.producer.flush(options.flush_timeout_s)
        if undelivered:
            report.delivery_failures += undelivered
            report.first_error = report.first_error or (
                f"{undelivered} record(s) not delivered within {options.flush_timeout_s:g} s"
            )
        report.elapsed_s = self._now() - started
        if on_progress is not None:
            on_progress(report.events, report.labels_produced)
        return report

    def _produce_events(
        self,
        records: Iterator[T],
        pace: Pace,
        pending: PendingLabels,
        on_progress: ProgressCallback | None,
    ) -> None:
        """Produce ``records`` at ``pace``: each at its time on the simulated clock, which
        starts at the first event, or without one ``pace.wall_rate`` a wall-clock second
        (0: as fast as possible); and schedule their labels."""
        report, topic, key_field = self._report, self.events_topic, self.key_field
        produce, encode, treat = self._produce, self.events.encode, self.pii.apply
        first = next(records, None)  # the generator's warm-up: before the clock starts
        if first is None:
            return
        started = self._now()
        report.first_event_ms = first.event["event_time"]
        clock = None
        if pace.time_scale is not None:
            clock = SimulatedClock(pace.time_scale, started, report.first_event_ms)
        rate = pace.wall_rate
        check = max(1, int(rate / 200)) if rate > 0 else 0  # check the pace every ~5 ms
        for i, record in enumerate(chain([first], records)):
            event_ms: int = record.event["event_time"]
            if check and i % check == 0:
                self._keep_pace(clock.wall_at(event_ms) if clock else started + i / rate, pending)
            event = treat(record.event)  # PII never reaches Kafka untreated
            produce(topic, event[key_field], encode(event))
            report.events += 1
            report.last_event_ms = event_ms
            labelled = self._count_and_label(record, event)
            if labelled is not None:
                delay_ms, label = labelled
                due = clock.wall_at(event_ms + delay_ms) if clock else self._now() + delay_ms / 1e3
                pending.add(label, due)
            for rule, _ in record.faults:
                report.faults[rule] += 1
            if i % _POLL_EVERY == 0:
                self.producer.poll(0)
                self._produce_labels(pending.pop_due(self._now()))
                if on_progress is not None:
                    on_progress(i + 1, report.labels_produced)

    def _keep_pace(self, target: float, pending: PendingLabels) -> None:
        """Wait until ``target`` (wall-clock seconds), serving deliveries and writing each
        label when it comes due."""
        now = self._now()
        self._produce_labels(pending.pop_due(now))
        while now < target:
            next_label = pending.next_due()
            until = target if next_label is None else min(target, next_label)
            self.producer.poll(min(until - now, 0.05))
            now = self._now()
            self._produce_labels(pending.pop_due(now))

    def _produce_labels(self, labels: list[Label]) -> None:
        for label in labels:
            self._produce(self.labels_topic, label["entity_key"], self.labels.encode(label))
            self._report.labels_produced += 1

    def _produce(self, topic: str, key: str, value: bytes) -> None:
        while True:
            try:
                self.producer.produce(topic, value, key, on_delivery=self._on_delivery)
                return
            except BufferError:  # the local queue is full: let librdkafka send some
                self.producer.poll(0.05)

    def _on_delivery(self, err: KafkaError | None, _msg: Message) -> None:
        if err is None:
            self._report.delivered += 1
        else:
            self._report.delivery_failures += 1
            if self._report.first_error is None:
                self._report.first_error = str(err)
