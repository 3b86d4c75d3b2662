"""The producer loop against an in-memory Kafka producer: PII, keys, labels and their
timing, pacing, back-pressure and delivery failures; and chargeback labels themselves."""

from __future__ import annotations

import hashlib
import hmac
import time
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


class FakeProducer:
    """Keeps what is produced; fails deliveries of chosen indices; refuses every
    ``full_every``-th produce call with BufferError, as a full librdkafka queue does."""

    def __init__(self, fail: set[int] = frozenset(), full_every: int = 0) -> None:  # type: ignore[assignment]
        self.records: list[tuple[str, bytes, str]] = []
        self.waiting: list[tuple[int, Delivery]] = []
        self.fail = fail
        self.full_every = full_every
        self.calls = 0
        self.refused = 0

    def produce(self, topic: str, value: bytes, key: str, on_delivery: Delivery) -> None:
        self.calls += 1
        if self.full_every and self.calls % self.full_every == 0:
            self.refused += 1
            raise BufferError("queue full")
        self.records.append((topic, value, key))
        self.waiting.append((len(self.records) - 1, on_delivery))

    def poll(self, timeout: float = 0) -> int:
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


def test_events_are_pii_treated_keyed_by_card_and_labelled_if_fraud(
    registry: MockSchemaRegistryClient,
) -> None:
    fake = FakeProducer()
    options = ProduceOptions(count=3_000, seed=4, label_time_scale=0.0, start_ms=1_000)
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
    fraud = {g.event["transaction_id"]: g.event for g in expected if g.is_fraud}
    assert fraud and report.fraud == len(fraud) == report.labels_produced == len(labels)
    for label, key in labels:
        event = fraud[label["event_id"]]
        assert key == label["entity_key"] == event["card_id"]
        assert label["pipeline"] == "unit" and label["value"] == 1.0
        assert label["source"] == "chargebacks"
        assert label["event_time"] == label["label_time"] == event["event_time"]
    assert report.delivered == 3_000 + len(fraud) and report.delivery_failures == 0
    assert report.labels_pending == 0


def test_labels_wait_for_their_scaled_delay(registry: MockSchemaRegistryClient) -> None:
    # real delays (10 minutes and more): nothing is due during the run
    waiting = _producer(registry, FakeProducer()).run(
        ProduceOptions(count=2_000, seed=1, label_time_scale=1.0, flush_labels=False)
    )
    assert waiting.fraud > 0 and waiting.labels_produced == 0
    assert waiting.labels_pending == waiting.fraud
    # ... unless flushed at the end
    flushed = _producer(registry, FakeProducer()).run(
        ProduceOptions(count=2_000, seed=1, label_time_scale=1.0)
    )
    assert flushed.labels_produced == flushed.fraud and flushed.labels_pending == 0


def test_faults_and_phases_are_reported(registry: MockSchemaRegistryClient) -> None:
    scenario = load_scenario(SCENARIOS / "quality-incident.yaml")
    report = _producer(registry, FakeProducer()).run(
        ProduceOptions(count=12_000, seed=2, scenario=scenario, label_time_scale=0)
    )
    assert report.phases == [("null-amounts", 5_000, 10_000)]
    assert set(report.faults) == {"not_null"}
    assert 400 < report.faults["not_null"] < 600


def test_a_rate_paces_the_events(registry: MockSchemaRegistryClient) -> None:
    started = time.monotonic()
    report = _producer(registry, FakeProducer()).run(
        ProduceOptions(count=600, seed=1, rate=1_000.0, label_time_scale=0)
    )
    took = time.monotonic() - started
    assert 0.55 < took < 2.0
    assert report.events == 600
    assert 300 < report.events_per_second < 1_100


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
    label = chargeback_label("fraud", event, delay_ms=86_400_000, scale=1e-4)
    assert validate(label, parse_schema(load_schema("Label")), raise_errors=True)
    assert label["label_time"] - label["event_time"] == timedelta(milliseconds=8_640)
    assert label["event_time"] == EPOCH + timedelta(milliseconds=event["event_time"])
    assert (label["event_id"], label["entity_key"]) == (event["transaction_id"], event["card_id"])


def test_pending_labels_come_due_in_order() -> None:
    pending = PendingLabels("p", scale=0.001)
    base = {"card_id": "card-000001", "event_time": 0}
    for n, delay_ms in enumerate([5_000, 1_000, 3_000]):
        pending.add({**base, "transaction_id": f"tx-{n}"}, delay_ms, now_s=100.0)
    assert pending.next_due() == pytest.approx(100.001)
    assert [x["event_id"] for x in pending.pop_due(100.0035)] == ["tx-1", "tx-2"]
    assert len(pending) == 1
    assert [x["event_id"] for x in pending.pop_all()] == ["tx-0"]
    assert pending.next_due() is None
    with pytest.raises(ValueError, match="scale"):
        PendingLabels("p", scale=-1)
