"""The delivery example without Kafka: the generator against delivery.yaml and Order.avsc,
its scenarios, its labels, and the producer loop on an in-memory Kafka producer."""

from __future__ import annotations

import hashlib
import hmac
import statistics
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from confluent_kafka import KafkaError
from confluent_kafka.schema_registry._sync.mock_schema_registry_client import (
    MockSchemaRegistryClient,
)
from fastavro import parse_schema
from fastavro.validation import validate
from typer.testing import CliRunner

from streamops.cli import app as root_app
from streamops.contracts import load_schema
from streamops.pipeline import Pipeline, load_pipeline
from streamops.pipeline.pii import PiiTreatment
from streamops.serde import AvroDecoder, AvroEncoder, value_subject
from streamops_examples import cli
from streamops_examples.delivery.generator import (
    EVENT_FIELDS,
    MAX_MINUTES,
    MIN_MINUTES,
    Order,
    generate,
)
from streamops_examples.delivery.produce import DeliveryOptions, DeliveryProducer
from streamops_examples.delivery.scenarios import (
    CovariateDrift,
    Phase,
    Scenario,
    load_scenario,
)
from streamops_examples.fraud.clock import Pace
from streamops_examples.scenario_segments import ScenarioError
from tests.unit.examples.fraud_rules import FRAUD_SPEC, ROOT, SCENARIOS, broken_rules

SPEC = ROOT / "deploy" / "pipelines" / "delivery.yaml"
SALT = "unit-salt"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Delivery = Callable[[KafkaError | None, Any], None]


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return load_pipeline(SPEC)


@pytest.fixture(scope="module")
def orders() -> list[Order]:
    return list(generate(6_000, seed=3))


def _scenario(**covariate: Any) -> Scenario:
    return Scenario(name="s", phases=[Phase(start=0, covariate=CovariateDrift(**covariate))])


def test_clean_orders_fit_the_schema_and_every_rule_of_the_spec(
    pipeline: Pipeline, orders: list[Order]
) -> None:
    schema = parse_schema(pipeline.event_schema)
    assert tuple(f["name"] for f in pipeline.event_schema["fields"]) == EVENT_FIELDS
    fields = pipeline.spec.expectations.fields
    for order in orders:
        assert validate(order.event, schema)
        assert broken_rules(order.event, fields) == set(), order.event
        assert order.faults == []
        assert MIN_MINUTES <= order.minutes <= MAX_MINUTES
        assert order.label_delay_ms == round(order.minutes * 60_000)
    assert len({o.event["order_id"] for o in orders}) == len(orders)
    times = [o.event["event_time"] for o in orders]
    assert times == sorted(times)
    # one order a second of event time by default: 6,000 orders, about 100 minutes
    assert 90 * 60_000 < times[-1] - times[0] < 110 * 60_000


def test_the_same_seed_gives_the_same_orders(orders: list[Order]) -> None:
    assert list(generate(6_000, seed=3)) == orders
    assert list(generate(100, seed=4)) != orders[:100]


def test_delivery_times_follow_what_the_model_can_see(orders: list[Order]) -> None:
    """Longer distances, rain and storm, and bikes take longer: a signal to learn."""

    def mean(pick: Callable[[Order], bool]) -> float:
        return statistics.mean(o.minutes for o in orders if pick(o))

    assert mean(lambda o: o.event["distance_km"] > 4) > mean(lambda o: o.event["distance_km"] < 2)
    assert mean(lambda o: o.event["weather"] in ("rain", "storm")) > mean(
        lambda o: o.event["weather"] == "clear"
    )
    assert 20 < statistics.mean(o.minutes for o in orders) < 35


def test_the_shipped_scenarios_load_and_do_what_they_say(orders: list[Order]) -> None:
    shipped = sorted(p.name for p in SCENARIOS.glob("delivery-*.yaml"))
    assert shipped == [
        "delivery-quality-incident.yaml",
        "delivery-rush-rain.yaml",
        "delivery-slow-fleet.yaml",
    ]
    rush = list(generate(6_000, seed=3, scenario=load_scenario(SCENARIOS / shipped[1])))
    before, after = rush[:3_000], rush[3_000:]
    assert before == orders[:3_000]  # the phase starts half-way

    def wet(part: list[Order]) -> float:
        return sum(o.event["weather"] in ("rain", "storm") for o in part) / len(part)

    assert wet(before) < 0.25 < 0.55 < wet(after)
    distance = statistics.mean(o.event["distance_km"] for o in after)
    assert distance > 1.3 * statistics.mean(o.event["distance_km"] for o in before)

    slow = list(generate(6_000, seed=3, scenario=load_scenario(SCENARIOS / shipped[2])))
    # the same orders, only the deliveries take longer: concept drift, no data drift
    assert [o.event for o in slow] == [o.event for o in orders]
    assert [o.minutes for o in slow[:3_000]] == [o.minutes for o in orders[:3_000]]
    assert statistics.mean(o.minutes for o in slow[3_000:]) > 1.2 * statistics.mean(
        o.minutes for o in orders[3_000:]
    )


def test_quality_faults_break_exactly_the_rules_they_record(pipeline: Pipeline) -> None:
    scenario = load_scenario(SCENARIOS / "delivery-quality-incident.yaml")
    generated = list(generate(10_000, seed=3, scenario=scenario))
    fields = pipeline.spec.expectations.fields
    faulty = [o for o in generated if o.faults]
    assert all(6_000 <= i < 9_000 for i, o in enumerate(generated) if o.faults)
    assert Counter(f for o in faulty for f in o.faults).keys() == {
        ("not_null", "distance_km"),
        ("allowed", "vehicle"),
    }
    assert 0.09 < len(faulty) / 3_000 < 0.15
    for order in generated:
        assert broken_rules(order.event, fields) == set(order.faults)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("  - start: 0\n    covariate: {weather_mix: {hail: 0.5}}\n", "unknown weather"),
        ("  - start: 0\n    quality: {null_rate: {order_id: 0.1}}\n", "null_rate.order_id"),
        ("  - start: 0\n    concept: {courier_speed_factor: 0}\n", "courier_speed_factor"),
        ("  - start: 1.5\n", "neither a fraction"),
    ],
)
def test_a_bad_scenario_names_the_field(tmp_path: Path, text: str, message: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"name: bad\nphases:\n{text}")
    with pytest.raises(ScenarioError, match=message):
        load_scenario(bad)


def test_the_weather_mix_shares_the_rest_pro_rata() -> None:
    generated = list(generate(4_000, seed=2, scenario=_scenario(weather_mix={"storm": 0.5})))
    shares = Counter(o.event["weather"] for o in generated)
    assert 0.45 < shares["storm"] / 4_000 < 0.55
    assert shares["clear"] > shares["cloudy"] > shares["rain"] > 0


class FakeProducer:
    """Keeps what is produced, and when on its own clock (``poll`` waits on it)."""

    def __init__(self, tick: float = 0.0) -> None:
        self.records: list[tuple[str, bytes, str, float]] = []
        self.waiting: list[Delivery] = []
        self.now = 1_000.0
        self.tick = tick

    def clock(self) -> float:
        return self.now

    def produce(self, topic: str, value: bytes, key: str, on_delivery: Delivery) -> None:
        self.records.append((topic, value, key, self.now))
        self.waiting.append(on_delivery)
        self.now += self.tick

    def poll(self, timeout: float = 0) -> int:
        self.now += timeout
        for callback in self.waiting:
            callback(None, None)
        served, self.waiting = len(self.waiting), []
        return served

    def flush(self, timeout: float = 0) -> int:
        self.poll()
        return 0


def _ms(value: Any) -> Any:
    return (value - EPOCH) // timedelta(milliseconds=1) if isinstance(value, datetime) else value


def _run(
    pipeline: Pipeline, fake: FakeProducer, options: DeliveryOptions
) -> tuple[Any, list[tuple[str, dict[str, Any], str, float]]]:
    registry = MockSchemaRegistryClient({"url": "mock://delivery"})
    producer = DeliveryProducer(
        fake,  # type: ignore[arg-type]
        "unit",
        AvroEncoder(registry, value_subject("unit.events.raw"), pipeline.event_schema),
        AvroEncoder(registry, value_subject("unit.labels"), load_schema("Label")),
        PiiTreatment(pipeline.spec.pii, SALT),
        wall_clock=fake.clock,
    )
    report = producer.run(options)
    decoder = AvroDecoder(registry)
    records = [
        (topic, {k: _ms(v) for k, v in decoder.decode(value).items()}, key, at)
        for topic, value, key, at in fake.records
    ]
    return report, records


def test_orders_are_pii_treated_keyed_by_restaurant_and_each_delivery_is_a_label(
    pipeline: Pipeline,
) -> None:
    report, records = _run(pipeline, FakeProducer(), DeliveryOptions(count=2_000, start_ms=0))
    expected = {o.event["order_id"]: o for o in generate(2_000, seed=1, start_ms=0)}
    assert report.time_scale is None  # no rate given: an order a second of event time
    events = [(r, key) for topic, r, key, _ in records if topic == "unit.events.raw"]
    labels = [(r, key) for topic, r, key, _ in records if topic == "unit.labels"]
    assert len(events) == len(labels) == 2_000 == report.events == report.labels_produced
    for event, key in events:
        original = expected[event["order_id"]].event
        assert key == event["restaurant_id"] == original["restaurant_id"]
        digest = hmac.new(SALT.encode(), original["customer_id"].encode(), hashlib.sha256)
        assert event["customer_id"] == digest.hexdigest()
        assert event["delivery_address"] is None
        assert event["customer_phone"].endswith(original["customer_phone"][-4:])
        assert event["customer_phone"].startswith("*")
    for label, key in labels:
        order = expected[label["event_id"]]
        assert key == label["entity_key"] == order.event["restaurant_id"]
        assert (label["pipeline"], label["value"], label["source"]) == (
            "unit",
            order.minutes,
            "courier_app",
        )
        assert label["event_time"] == order.event["event_time"]
        assert label["label_time"] - label["event_time"] == order.label_delay_ms
    assert report.delivered == 4_000 and report.delivery_failures == 0
    assert report.labels_flushed == 2_000  # as fast as possible: no delivery ended yet
    assert abs(report.mean_minutes - statistics.mean(o.minutes for o in expected.values())) < 1e-6


def test_on_the_simulated_clock_a_label_comes_when_the_food_arrives(pipeline: Pipeline) -> None:
    # an order a second of event time, an hour of event time a wall-clock second
    options = DeliveryOptions(
        count=10_000, start_ms=0, event_time_rate=1.0, time_scale=3_600, flush_labels=False
    )
    report, records = _run(pipeline, FakeProducer(), options)
    start, first = records[0][3], records[0][1]["event_time"]
    for topic, record, _, at in records:
        if topic == "unit.labels":  # never before the food arrives; orders paced by ~5 ms
            assert at >= start + (record["label_time"] - first) / 1000 / 3_600
        else:
            assert at >= start + (record["event_time"] - first) / 1000 / 3_600 - 0.01
    # the deliveries still under way at the end are left out (--no-flush-labels)
    assert report.labels_on_time == report.labels_produced > 8_000
    assert report.labels_pending == 10_000 - report.labels_produced > 0


def test_produce_delivery_is_a_command_of_the_root_cli() -> None:
    root: Any = typer.main.get_command(root_app)
    command = root.commands["produce"].commands["delivery"]
    options = {o for p in command.params for o in p.opts}
    assert {"--count", "--scenario", "--time-scale", "--event-time-rate", "--pii-salt"} <= options
    assert CliRunner().invoke(root_app, ["produce", "delivery", "--help"]).exit_code == 0


NOWHERE = ["--bootstrap-servers", "127.0.0.1:1", "--registry-url", "http://127.0.0.1:1"]


def test_the_fraud_spec_is_refused_for_orders() -> None:
    result = CliRunner().invoke(
        cli.app,
        ["delivery", "--pipeline", str(FRAUD_SPEC), *NOWHERE],
        env={"STREAMOPS_PII_SALT": "s"},
    )
    assert result.exit_code == cli.EXIT_ERROR
    assert "the delivery generator writes Order events" in result.output
    assert "has no field" in result.output and "restaurant_id" in result.output


def test_rates_reach_the_delivery_producer(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[DeliveryOptions] = []

    class Recording:
        events_topic = "delivery.events.raw"

        def run(self, options: DeliveryOptions, on_progress: Any = None) -> Any:
            seen.append(options)
            from streamops_examples.delivery.produce import DeliveryReport

            return DeliveryReport("delivery.events.raw", "delivery.labels", events=10)

    opened = (Recording(), type("Topics", (), {"created": [], "drifted": []})())
    monkeypatch.setattr(cli, "open_delivery_producer", lambda *a, **kw: opened)
    result = CliRunner().invoke(
        cli.app,
        ["delivery", "--event-time-rate", "1", "--time-scale", "720", *NOWHERE],
        env={"STREAMOPS_PII_SALT": "s"},
    )
    assert result.exit_code == 0, result.output
    assert [o.pace() for o in seen] == [Pace(720.0, 1.0, 720.0)]
    assert "streamops produce delivery" in result.output
