"""`streamops produce fraud` against the real broker and registry: what lands in the topics.

The test writes to a pipeline of its own (``--pipeline-name``, the fraud spec otherwise),
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
from streamops_examples.fraud.generator import generate
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
    decoder = AvroDecoder(registry_client(registry))
    messages = read_all(kafka, topic, expected, idle_s=2.0)
    return [
        ({k: _ms(v) for k, v in decoder.decode(m.value()).items()}, m.key().decode())
        for m in messages
    ]


def test_produce_fraud_writes_treated_events_and_chargebacks(
    kafka: str, schema_registry: str, pipeline: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STREAMOPS_PII_SALT", raising=False)
    before_ms = int(time.time() * 1000)
    result = CliRunner().invoke(app, [
        "produce", "fraud", "--count", str(COUNT), "--rate", "0", "--seed", "1",
        "--label-time-scale", "0", "--pipeline-name", pipeline, "--pii-salt", SALT,
        "--bootstrap-servers", kafka, "--registry-url", schema_registry,
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"{COUNT:,} to {pipeline}.events.raw" in result.output

    events = _read(kafka, schema_registry, f"{pipeline}.events.raw", COUNT)
    assert len(events) == COUNT
    by_id = {e["transaction_id"]: (e, key) for e, key in events}
    assert len(by_id) == COUNT
    # The run began at the wall-clock time of the command (fraud at night depends on it):
    # the first event is that start plus the generator's first gap.
    first_gap = next(iter(generate(1, seed=1, start_ms=0))).event["event_time"]
    start_ms = min(e["event_time"] for e, _ in events) - first_gap
    assert before_ms <= start_ms <= int(time.time() * 1000)
    expected = list(generate(COUNT, seed=1, start_ms=start_ms))
    fraud = {g.event["transaction_id"] for g in expected if g.is_fraud}
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
        assert label["event_time"] == label["label_time"] == event["event_time"]
