"""The producer loop against an in-memory Kafka producer and a fake clock: PII, keys,
labels and their timing, pacing on the wall clock and on the simulated clock,
back-pressure and delivery failures; and chargeback labels themselves."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from confluent_kafka import KafkaError
from confluent_kafka.schema_registry._sync.mock_schema_registry_client import (
    MockSchemaRegistryClient,
)
from fastavro import parse_schema
from fastavro.validation import validate

from streamops.contracts import load_schema
from streamops.pipeline.pii import PiiTreatment
from streamops.serde import AvroDecoder, AvroEncoder, value_subject
from streamops_examples.fraud.generator import generate
from streamops_examples.fraud.labels import PendingLabels, chargeback_label
from streamops_examples.fraud.produce import FraudProducer, ProduceOptions
from streamops_examples.fraud.scenarios import load_scenario
from tests.unit.examples.fraud_rules import SCENARIOS, fraud_pipeline

SALT = "unit-salt"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Delivery = Callable[[KafkaError | None, Any], None]


class FakeClock:
    """Wall-clock seconds that pass only when told to: no test sleeps."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeProducer:
    """Keeps what is produced and when (on ``clock``); fails deliveries of chosen indices;
    refuses every ``full_every``-th produce call with BufferError, as a full librdkafka
    queue does. ``poll(timeout)`` waits out its timeout on the clock, and each produce
    call takes ``tick`` seconds."""

    def __init__(
        self,
        fail: set[int] = frozenset(),  # type: ignore[assignment]
        full_every: int = 0,
        tick: float = 0.0,
    ) -> None:
        self.records: list[tuple[str, bytes, str]] = []
        self.produced_at: list[float] = []  # of each record, on the clock
        self.waiting: list[tuple[int, Delivery]] = []
        self.fail = fail
        self.full_every = full_every
        self.tick = tick
        self.clock = FakeClock()
        self.calls = 0
        self.refused = 0

    def produce(self, topic: str, value: bytes, key: str, on_delivery: Delivery) -> None:
        self.calls += 1
        if self.full_every and self.calls % self.full_every == 0:
            self.refused += 1
            raise BufferError("queue full")
        self.records.append((topic, value, key))
        self.produced_at.append(self.clock.now)
        self.waiting.append((len(self.records) - 1, on_delivery))
        self.clock.now += self.tick

    def poll(self, timeout: float = 0) -> int:
        self.clock.now += timeout
        served = len(self.waiting)
        for index, callback in self.waiting:
            error = KafkaError(KafkaError._MSG_TIMED_OUT) if index in self.fail else None
            callback(error, None)
        self.waiting.clear()
        return served

    def flush(self, timeout: float = 0) -> int:
        self.poll()
        return 0


@pytest.fixture
def registry() -> MockSchemaRegistryClient:
    return MockSchemaRegistryClient({"url": "mock://fraud"})


def _producer(registry: MockSchemaRegistryClient, fake: FakeProducer) -> FraudProducer:
    pipeline = fraud_pipeline()
    return FraudProducer(
        fake,  # type: ignore[arg-type]
        "unit",
        AvroEncoder(registry, value_subject("unit.events.raw"), pipeline.event_schema),
        AvroEncoder(registry, value_subject("unit.labels"), load_schema("Label")),
        PiiTreatment(pipeline.spec.pii, SALT),
        wall_clock=fake.clock,
    )


def _ms(value: Any) -> Any:
    """Milliseconds since the epoch for the datetimes Avro's timestamp-millis decodes to."""
    return (value - EPOCH) // timedelta(milliseconds=1) if isinstance(value, datetime) else value


def _decoded(registry: MockSchemaRegistryClient, fake: FakeProducer, topic: str) -> list[Any]:
    decoder = AvroDecoder(registry)
    return [
        ({k: _ms(v) for k, v in decoder.decode(value).items()}, key)
        for t, value, key in fake.records
        if t == topic
    ]


def _timeline(registry: MockSchemaRegistryClient, fake: FakeProducer) -> list[Any]:
    """Every record in the order produced: (topic, decoded value, when on the clock)."""
    decoder = AvroDecoder(registry)
    return [
        (topic, {k: _ms(v) for k, v in decoder.decode(value).items()}, at)
        for (topic, value, _), at in zip(fake.records, fake.produced_at, strict=True)
    ]


def test_events_are_pii_treated_keyed_by_card_and_labelled_if_fraud(
    registry: MockSchemaRegistryClient,
) -> None:
    fake = FakeProducer()
    options = ProduceOptions(count=3_000, seed=4, start_ms=1_000)
    report = _producer(registry, fake).run(options)
    expected = list(generate(3_000, seed=4, start_ms=1_000))
    events = _decoded(registry, fake, "unit.events.raw")
    labels = _decoded(registry, fake, "unit.labels")
    assert len(events) == 3_000
    for (event, key), generated in zip(events, expected, strict=True):
        original = generated.event
        assert key == original["card_id"] == event["card_id"]
        assert (
            event["card_number"]
            == hmac.new(SALT.encode(), original["card_number"].encode(), hashlib.sha256).hexdigest()
        )
        assert event["customer_email"] is None
        ip = original["ip_address"]
        assert event["ip_address"] == (None if ip is None else "*" * (len(ip) - 4) + ip[-4:])
        untouched = {"card_number", "customer_email", "ip_address"}
        assert {k: v for k, v in event.items() if k not in untouched} == {
            k: v for k, v in original.items() if k not in untouched
        }
    fraud = {g.event["transaction_id"]: g for g in expected if g.is_fraud}
    assert fraud and report.fraud == len(fraud) == report.labels_produced == len(labels)
    for label, key in labels:
        generated = fraud[label["event_id"]]
        event = generated.event
        assert key == label["entity_key"] == event["card_id"]
        assert label["pipeline"] == "unit" and label["value"] == 1.0
        assert label["source"] == "chargebacks"
        assert label["event_time"] == event["event_time"]
        assert label["label_time"] - label["event_time"] == generated.label_delay_ms
    assert report.delivered == 3_000 + len(fraud) and report.delivery_failures == 0
    # as fast as possible, no delay (10 minutes at least) passes: all flushed at the end
    assert report.labels_flushed == len(fraud) and report.labels_pending == 0
    assert report.time_scale is None
    assert (report.first_event_ms, report.last_event_ms) == (
        expected[0].event["event_time"],
        expected[-1].event["event_time"],
    )


def test_without_a_time_scale_labels_wait_their_real_delay_in_wall_time(
    registry: MockSchemaRegistryClient,
) -> None:
    # each event takes a minute of wall clock: 2,000 of them, 33 h, and labels come due
    fake = FakeProducer(tick=60.0)
    report = _producer(registry, fake).run(
        ProduceOptions(count=2_000, seed=1, start_ms=0, flush_labels=False)
    )
    written_at = {}
    on_time = []
    for topic, record, at in _timeline(registry, fake):
        if topic == "unit.events.raw":
            written_at[record["transaction_id"]] = at
        else:
            on_time.append(record)
            delay_ms = record["label_time"] - record["event_time"]
            assert at - written_at[record["event_id"]] >= delay_ms / 1000
    assert on_time and report.labels_on_time == len(on_time) == report.labels_produced
    assert report.labels_flushed == 0
    assert report.labels_pending == report.fraud - len(on_time) > 0
    # ... and those still waiting are written at the end when flushed
    flushed = _producer(registry, FakeProducer(tick=60.0)).run(
        ProduceOptions(count=2_000, seed=1, start_ms=0)
    )
    assert flushed.labels_on_time == len(on_time)
    assert flushed.labels_flushed == report.labels_pending and flushed.labels_pending == 0
    assert flushed.labels_produced == flushed.fraud


def test_events_and_labels_follow_the_simulated_clock(registry: MockSchemaRegistryClient) -> None:
    # 3,000 events over about 3.5 days of event time, in 30 s of wall clock
    scale, fake = 10_000.0, FakeProducer()
    options = ProduceOptions(
        count=3_000, seed=1, start_ms=0, event_time_rate=0.01, time_scale=scale
    )
    report = _producer(registry, fake).run(options)
    expected = list(generate(3_000, seed=1, start_ms=0, events_per_second=0.01))
    delays = {g.event["transaction_id"]: g.label_delay_ms for g in expected if g.is_fraud}
    timeline = _timeline(registry, fake)
    events = [(record, at) for topic, record, at in timeline if topic == "unit.events.raw"]
    (t0, start), t_last = events[0], events[-1][0]["event_time"]
    t0_ms = t0["event_time"]
    for record, at in events:  # each event when the clock reaches its event time
        assert at - start == pytest.approx((record["event_time"] - t0_ms) / 1000 / scale)
    assert report.elapsed_s == pytest.approx((t_last - t0_ms) / 1000 / scale)
    assert 2.5 * 86_400_000 < t_last - t0_ms < 4.5 * 86_400_000
    on_time = flushed = 0
    for n, (topic, label, at) in enumerate(timeline):
        if topic != "unit.labels":
            continue
        label_ms = label["label_time"]
        assert label_ms - label["event_time"] == delays[label["event_id"]]  # the real delay
        if label_ms > t_last:  # not due when the events ended
            flushed += 1
            continue
        on_time += 1  # when the clock reached its label time: between the events around it
        assert at - start == pytest.approx((label_ms - t0_ms) / 1000 / scale)
        before = [r["event_time"] for t, r, _ in timeline[:n] if t == "unit.events.raw"]
        after = next(r["event_time"] for t, r, _ in timeline[n:] if t == "unit.events.raw")
        assert before[-1] < label_ms <= after
    assert on_time > 10 and flushed > 10 and on_time + flushed == len(delays)
    assert (report.labels_on_time, report.labels_flushed) == (on_time, flushed)
    assert report.time_scale == scale
    assert (report.first_event_ms, report.last_event_ms) == (t0_ms, t_last)


def test_faults_and_phases_are_reported(registry: MockSchemaRegistryClient) -> None:
    scenario = load_scenario(SCENARIOS / "quality-incident.yaml")
    report = _producer(registry, FakeProducer()).run(
        ProduceOptions(count=12_000, seed=2, scenario=scenario)
    )
    assert report.phases == [("null-amounts", 5_000, 10_000)]
    assert set(report.faults) == {"not_null"}
    assert 400 < report.faults["not_null"] < 600


def test_a_rate_paces_the_events(registry: MockSchemaRegistryClient) -> None:
    fake = FakeProducer()
    report = _producer(registry, fake).run(ProduceOptions(count=600, seed=1, rate=1_000.0))
    events = [at for topic, _, at in _timeline(registry, fake) if topic == "unit.events.raw"]
    start = events[0]
    for i, at in enumerate(events):  # the pace is checked every 5 events (~5 ms)
        assert at - start == pytest.approx((i - i % 5) / 1_000)
    assert report.events == 600
    assert report.elapsed_s == pytest.approx(0.595)
    assert report.time_scale is None


def test_a_full_queue_is_waited_out_not_lost(registry: MockSchemaRegistryClient) -> None:
    fake = FakeProducer(full_every=7)
    report = _producer(registry, fake).run(ProduceOptions(count=1_000, seed=1))
    assert fake.refused > 100
    assert len([r for r in fake.records if r[0] == "unit.events.raw"]) == 1_000
    assert report.delivery_failures == 0


def test_failed_deliveries_are_counted(registry: MockSchemaRegistryClient) -> None:
    fake = FakeProducer(fail={3, 10, 500})
    report = _producer(registry, fake).run(ProduceOptions(count=1_000, seed=1))
    assert report.delivery_failures == 3
    assert report.first_error is not None and "timed out" in report.first_error.lower()
    assert report.delivered == len(fake.records) - 3


def test_an_interrupted_run_still_delivers_and_reports(
    registry: MockSchemaRegistryClient,
) -> None:
    class Interrupted(FakeProducer):
        def produce(self, topic: str, value: bytes, key: str, on_delivery: Delivery) -> None:
            if self.calls == 700 and not self.refused:
                self.refused = 1  # once: the user pressed Ctrl-C
                raise KeyboardInterrupt
            super().produce(topic, value, key, on_delivery)

    fake = Interrupted()
    report = _producer(registry, fake).run(ProduceOptions(count=5_000, seed=1))
    assert report.interrupted
    assert report.events == len([r for r in fake.records if r[0] == "unit.events.raw"])
    assert report.events == 700  # the 701st was not produced
    assert report.delivered == len(fake.records)  # flushed


def test_chargeback_label_fits_the_label_contract() -> None:
    event = next(g.event for g in generate(5_000, seed=1) if g.pattern)
    label = chargeback_label("fraud", event, delay_ms=86_400_000)
    assert validate(label, parse_schema(load_schema("Label")), raise_errors=True)
    assert label["label_time"] - label["event_time"] == timedelta(days=1)
    assert label["event_time"] == EPOCH + timedelta(milliseconds=event["event_time"])
    assert (label["event_id"], label["entity_key"]) == (event["transaction_id"], event["card_id"])


def test_pending_labels_come_due_in_order() -> None:
    pending = PendingLabels()
    base = {"card_id": "card-000001", "event_time": 0}
    for n, due_s in enumerate([100.005, 100.001, 100.003]):
        label = chargeback_label("p", {**base, "transaction_id": f"tx-{n}"}, 1_000)
        pending.add(label, due_s)
    assert pending.next_due() == pytest.approx(100.001)
    assert [x["event_id"] for x in pending.pop_due(100.0035)] == ["tx-1", "tx-2"]
    assert len(pending) == 1
    assert [x["event_id"] for x in pending.pop_all()] == ["tx-0"]
    assert pending.next_due() is None
