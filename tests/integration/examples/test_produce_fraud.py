"""`streamops produce fraud` against the real broker and registry: what lands in the topics.

Each test writes to a pipeline of its own (``--pipeline-name``, the fraud spec otherwise),
so that it never mixes with the shared ``fraud`` topics, and deletes its topics after.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient
from typer.testing import CliRunner

from streamops.cli import app
from streamops.serde import AvroDecoder
from streamops_examples.fraud.generator import Generated, generate
from tests.support.confluent import registry_client
from tests.support.kafka import delete_pipeline_topics, read_all, unique_name

SALT = "integration-salt"
COUNT = 5_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@pytest.fixture
def pipeline(kafka: str) -> Iterator[str]:
    """A pipeline name of this test only; its topics are deleted afterwards."""
    name = unique_name("fraudgen")
    yield name
    delete_pipeline_topics(AdminClient({"bootstrap.servers": kafka}), name)


def _ms(value: Any) -> Any:
    return (value - EPOCH) // timedelta(milliseconds=1) if isinstance(value, datetime) else value


def _read(kafka: str, registry: str, topic: str, expected: int) -> list[tuple[dict[str, Any], str]]:
    return [(value, key) for value, key, _ in _read_timed(kafka, registry, topic, expected)]


def _read_timed(
    kafka: str, registry: str, topic: str, expected: int
) -> list[tuple[dict[str, Any], str, int]]:
    """The decoded records of ``topic``, their keys, and their (producer) timestamps."""
    decoder = AvroDecoder(registry_client(registry))
    messages = read_all(kafka, topic, expected, idle_s=2.0)
    return [
        (
            {k: _ms(v) for k, v in decoder.decode(m.value()).items()},
            m.key().decode(),
            m.timestamp()[1],
        )
        for m in messages
    ]


def _summary(output: str) -> str:
    """The command's output as one line of words: table cells may wrap."""
    return " ".join(output.replace("│", " ").split())


def _regenerated(
    events: list[dict[str, Any]], count: int, events_per_second: float, before_ms: int
) -> list[Generated]:
    """What the generator made, recovered from the events that landed: the run began at
    the wall-clock time of the command (fraud at night depends on it), and the first event
    is that start plus the generator's first gap."""
    first = next(iter(generate(1, seed=1, start_ms=0, events_per_second=events_per_second)))
    start_ms = min(e["event_time"] for e in events) - first.event["event_time"]
    assert before_ms <= start_ms <= int(time.time() * 1000)
    return list(generate(count, seed=1, start_ms=start_ms, events_per_second=events_per_second))


def test_produce_fraud_writes_treated_events_and_chargebacks(
    kafka: str, schema_registry: str, pipeline: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STREAMOPS_PII_SALT", raising=False)
    before_ms = int(time.time() * 1000)
    result = CliRunner().invoke(app, [
        "produce", "fraud", "--count", str(COUNT), "--rate", "0", "--seed", "1",
        "--pipeline-name", pipeline, "--pii-salt", SALT,
        "--bootstrap-servers", kafka, "--registry-url", schema_registry,
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"{COUNT:,} to {pipeline}.events.raw" in result.output

    events = _read(kafka, schema_registry, f"{pipeline}.events.raw", COUNT)
    assert len(events) == COUNT
    by_id = {e["transaction_id"]: (e, key) for e, key in events}
    assert len(by_id) == COUNT
    expected = _regenerated([e for e, _ in events], COUNT, 100.0, before_ms)
    fraud = {g.event["transaction_id"]: g.label_delay_ms for g in expected if g.is_fraud}
    assert fraud
    assert {g.event["transaction_id"] for g in expected} == set(by_id)
    for g in expected:
        event, key = by_id[g.event["transaction_id"]]
        original = g.event
        assert key == event["card_id"] == original["card_id"]
        assert (
            event["card_number"]
            == hmac.new(SALT.encode(), original["card_number"].encode(), hashlib.sha256).hexdigest()
        )
        assert event["customer_email"] is None
        ip = original["ip_address"]
        assert event["ip_address"] == (None if ip is None else "*" * (len(ip) - 4) + ip[-4:])
        same = ("customer_id", "merchant_id", "merchant_category", "amount", "currency",
                "country", "channel", "device_id", "ingest_time", "source")  # fmt: skip
        assert [event[k] for k in same] == [original[k] for k in same]
        assert event["event_time"] == original["event_time"]
    assert sum(e["ip_address"] is not None for e, _ in events) > COUNT / 4

    labels = _read(kafka, schema_registry, f"{pipeline}.labels", len(fraud))
    assert sorted(label["event_id"] for label, _ in labels) == sorted(fraud)
    for label, key in labels:
        event, _ = by_id[label["event_id"]]
        assert key == label["entity_key"] == event["card_id"]
        assert label["pipeline"] == pipeline
        assert label["value"] == 1.0
        assert label["source"] == "chargebacks"
        assert label["event_time"] == event["event_time"]
        assert label["label_time"] - label["event_time"] == fraud[label["event_id"]]
    # as fast as possible, no delay (10 minutes at least) passed: all written at the end
    assert f"0 on time, {len(fraud):,} flushed at the end" in _summary(result.output)


def test_produce_fraud_on_a_simulated_clock_writes_each_record_at_its_time(
    kafka: str, schema_registry: str, pipeline: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2,000 events, 0.01 per event-time second: 2.3 days of event time in 2 s of wall clock
    count, per_second, scale = 2_000, 0.01, 100_000.0
    monkeypatch.delenv("STREAMOPS_PII_SALT", raising=False)
    before_ms = int(time.time() * 1000)
    result = CliRunner().invoke(app, [
        "produce", "fraud", "--count", str(count), "--event-time-rate", str(per_second),
        "--time-scale", str(scale), "--seed", "1", "--pipeline-name", pipeline,
        "--pii-salt", SALT, "--bootstrap-servers", kafka, "--registry-url", schema_registry,
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "100,000x: a wall-clock minute was 69.4 days of event time" in _summary(result.output)

    events = _read_timed(kafka, schema_registry, f"{pipeline}.events.raw", count)
    assert len(events) == count
    expected = _regenerated([e for e, _, _ in events], count, per_second, before_ms)
    t0_ms, t_last = expected[0].event["event_time"], expected[-1].event["event_time"]
    assert t_last - t0_ms > 2 * 86_400_000
    started = min(ts for _, _, ts in events)

    def due(event_ms: int) -> float:
        """When, in ms of wall clock, the simulated clock reached ``event_ms``."""
        return started + (event_ms - t0_ms) / scale

    # never before its time (the pace is checked every 5 events, about 5 ms)
    assert all(ts >= due(e["event_time"]) - 50 for e, _, ts in events)
    assert max(ts for _, _, ts in events) >= due(t_last) - 50

    fraud = {g.event["transaction_id"]: g.label_delay_ms for g in expected if g.is_fraud}
    labels = _read_timed(kafka, schema_registry, f"{pipeline}.labels", len(fraud))
    assert sorted(label["event_id"] for label, _, _ in labels) == sorted(fraud)
    within = 0
    for label, _, ts in labels:
        assert label["label_time"] - label["event_time"] == fraud[label["event_id"]]
        if label["label_time"] < t_last - 3_600_000:  # due well before the events ended
            within += 1
            # when the clock reached it, not before; `due` counts from the first event's
            # timestamp, itself a few ms after the clock started (one run: 3 ms early)
            assert ts >= due(label["label_time"]) - 10
    assert within > 5
