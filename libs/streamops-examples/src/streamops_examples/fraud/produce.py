"""The Kafka side of the fraud example: generated transactions to ``{p}.events.raw``
(PII treated, Avro, keyed by card id) and their chargebacks to ``{p}.labels``.

A chargeback is written once its label delay, multiplied by ``label_time_scale``, has
passed in wall-clock time (a demo compresses days into seconds with 1e-4); the labels
still waiting at the end are written then (``flush_labels``) or reported as pending.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from confluent_kafka import KafkaError, Message, Producer

from streamops.contracts.types import Label
from streamops.pipeline.pii import PiiTreatment
from streamops.serde import AvroEncoder
from streamops.topics import TopicNames
from streamops_examples.fraud.generator import Generated, generate
from streamops_examples.fraud.labels import PendingLabels
from streamops_examples.fraud.scenarios import Scenario, phase_label

#: Event-time rate (events per second) when events are produced as fast as possible.
DEFAULT_EVENT_TIME_RATE = 100.0
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


@dataclass(frozen=True)
class ProduceOptions:
    """What to produce and how fast."""

    count: int
    seed: int = 1
    rate: float = 0.0  # events per wall-clock second; 0: as fast as possible
    scenario: Scenario | None = None
    label_time_scale: float = 1.0
    flush_labels: bool = True
    start_ms: int | None = None  # event time of the first event; None: now
    event_time_rate: float | None = None  # events per event-time second; None: rate or 100
    flush_timeout_s: float = 60.0


@dataclass
class ProduceReport:
    """What one run produced, for the summary and the exit code."""

    events_topic: str
    labels_topic: str
    events: int = 0
    fraud: int = 0
    labels_produced: int = 0
    labels_pending: int = 0
    faults: Counter[str] = field(default_factory=Counter)  # by rule
    phases: list[tuple[str, int, int]] = field(default_factory=list)  # name, [start, end)
    delivered: int = 0
    delivery_failures: int = 0
    first_error: str | None = None
    elapsed_s: float = 0.0
    interrupted: bool = False

    @property
    def events_per_second(self) -> float:
        """Events produced per wall-clock second, the final flush included."""
        return self.events / self.elapsed_s if self.elapsed_s > 0 else 0.0


ProgressCallback = Callable[[int, int], None]  # (events produced, labels produced)


class FraudProducer:
    """Writes generated transactions and their chargebacks to one pipeline's topics."""

    def __init__(
        self,
        producer: Producer,
        pipeline: str,
        events: AvroEncoder,
        labels: AvroEncoder,
        pii: PiiTreatment,
        *,
        labels_topic: str | None = None,
    ) -> None:
        self.producer = producer
        self.pipeline = pipeline
        topics = TopicNames(pipeline)
        self.events_topic = topics.events_raw
        self.labels_topic = labels_topic or topics.labels
        self.events = events
        self.labels = labels
        self.pii = pii
        self._report = ProduceReport(self.events_topic, self.labels_topic)

    def run(
        self, options: ProduceOptions, on_progress: ProgressCallback | None = None
    ) -> ProduceReport:
        """Produce ``options.count`` events and their labels; wait for every delivery.

        Interrupted (Ctrl-C), it stops generating but still delivers and reports what it
        produced, and sets ``interrupted``.
        """
        report = self._report = ProduceReport(self.events_topic, self.labels_topic)
        if options.scenario is not None:
            report.phases = [
                (phase_label(p, i), *p.bounds(options.count))
                for i, p in enumerate(options.scenario.phases)
            ]
        pending = PendingLabels(self.pipeline, options.label_time_scale)
        start_ms = options.start_ms if options.start_ms is not None else int(time.time() * 1000)
        events = generate(  # builds the world: before the clock starts
            options.count,
            seed=options.seed,
            scenario=options.scenario,
            start_ms=start_ms,
            events_per_second=options.event_time_rate or options.rate or DEFAULT_EVENT_TIME_RATE,
        )
        started = time.monotonic()
        try:
            self._produce_events(events, options.rate, pending, started, on_progress)
        except KeyboardInterrupt:
            report.interrupted = True
        self._produce_labels(pending.pop_due(time.monotonic()))
        if options.flush_labels:
            self._produce_labels(pending.pop_all())
        report.labels_pending = len(pending)
        undelivered = self.producer.flush(options.flush_timeout_s)
        if undelivered:
            report.delivery_failures += undelivered
            report.first_error = report.first_error or (
                f"{undelivered} record(s) not delivered within {options.flush_timeout_s:g} s"
            )
        report.elapsed_s = time.monotonic() - started
        if on_progress is not None:
            on_progress(report.events, report.labels_produced)
        return report

    def _produce_events(
        self,
        events: Iterator[Generated],
        rate: float,
        pending: PendingLabels,
        started: float,
        on_progress: ProgressCallback | None,
    ) -> None:
        report, topic = self._report, self.events_topic
        produce, encode, treat = self._produce, self.events.encode, self.pii.apply
        pace = max(1, int(rate / 200)) if rate > 0 else 0  # check the pace every ~5 ms
        for i, generated in enumerate(events):
            if pace and i % pace == 0:
                self._keep_pace(started + i / rate, pending)
            event = treat(generated.event)  # PII never reaches Kafka untreated
            produce(topic, event["card_id"], encode(event))
            report.events += 1
            if generated.is_fraud and generated.label_delay_ms is not None:
                report.fraud += 1
                pending.add(event, generated.label_delay_ms, time.monotonic())
            for rule, _ in generated.faults:
                report.faults[rule] += 1
            if i % _POLL_EVERY == 0:
                self.producer.poll(0)
                self._produce_labels(pending.pop_due(time.monotonic()))
                if on_progress is not None:
                    on_progress(i + 1, report.labels_produced)

    def _keep_pace(self, target: float, pending: PendingLabels) -> None:
        """Wait until ``target`` (monotonic seconds), serving deliveries and due labels."""
        while (left := target - time.monotonic()) > 0:
            self.producer.poll(min(left, 0.05))
            self._produce_labels(pending.pop_due(time.monotonic()))

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
