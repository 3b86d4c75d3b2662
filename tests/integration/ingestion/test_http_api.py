"""`streamops run ingestion` as a real process against Kafka and the registry: what the HTTP
API answers, exactly what lands on events.raw, and a clean exit on SIGTERM."""

from __future__ import annotations

import hashlib
import hmac
import signal
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from streamops.serde import AvroDecoder
from tests.integration.ingestion.support import (
    SALT,
    PrivatePipeline,
    key_of,
    start_service,
    wait_ready,
)
from tests.support.kafka import free_port, read_all


def transaction(card: str, **overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "card_id": card,
        "customer_id": "c-1",
        "merchant_id": "m-00007",
        "amount": 19.99,
        "currency": "EUR",
        "country": "DE",
        "channel": "web",
        "card_number": f"4111-{card}",
        "customer_email": "jane@example.com",
        "ip_address": "10.1.2.3",
        "event_time": "2026-05-01T12:00:00.250Z",
    }
    event.update(overrides)
    return event


@pytest.fixture
def service(
    pipeline: PrivatePipeline, service_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    """The service process, its base URL and its log; killed at teardown if still running."""
    port = free_port()
    env = {
        **service_env,
        "STREAMOPS_INGESTION_HEALTH_HOST": "127.0.0.1",
        "STREAMOPS_INGESTION_HEALTH_PORT": str(port),
    }
    log = tmp_path / "ingestion.log"
    process = start_service(pipeline.spec, env, log)
    try:
        yield process, f"http://127.0.0.1:{port}", log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_http_events_land_on_events_raw_checked_and_treated(
    service: tuple[subprocess.Popen[bytes], str, Path],
    pipeline: PrivatePipeline,
    kafka: str,
    schema_registry: str,
) -> None:
    process, url, log = service
    wait_ready(process, url, log)
    events = f"{url}/v1/pipelines/{pipeline.name}/events"
    sent_at = datetime.now(UTC)

    malformed = httpx.post(events, content=b'{"card_id": "card-000001",\n "amount": }')
    assert malformed.status_code == 400
    assert malformed.json()["error"].startswith("malformed JSON at line 2, column 12:")

    invalid = httpx.post(events, json=transaction("card-000002", amount="abc"))
    assert invalid.status_code == 422
    assert invalid.json()["errors"] == [
        {
            "field": "amount",
            "reason": "wrong_type",
            "message": "amount: expected a number (double) or null, got 'abc'",
        }
    ]

    single = httpx.post(
        events, json=transaction("card-000003", transaction_id="tx-00000000000000c3")
    )
    assert single.status_code == 202, single.text
    assert single.json() == {"id": "tx-00000000000000c3"}

    batch = httpx.post(
        f"{events}:batch",
        json={
            "events": [
                transaction("card-000004"),
                transaction("card-000005", event_time="soon"),
                transaction("card-000006", customer_email=None, ip_address=None),
            ]
        },
    )
    assert batch.status_code == 202, batch.text
    body = batch.json()
    assert [a["index"] for a in body["accepted"]] == [0, 2]
    assert [(r["index"], r["errors"][0]["field"]) for r in body["rejected"]] == [(1, "event_time")]

    assert httpx.post(f"{url}/v1/pipelines/nope/events", json={}).status_code == 404

    messages = read_all(kafka, pipeline.raw_topic, expected=3, idle_s=3.0)
    decoder = AvroDecoder(SchemaRegistryClient({"url": schema_registry, "timeout": 30}))
    records = {key_of(m): decoder.decode(m.value()) for m in messages}
    assert sorted(records) == ["card-000003", "card-000004", "card-000006"]  # key = card_id
    ids = {r["transaction_id"] for r in records.values()}
    assert ids == {"tx-00000000000000c3", *(a["id"] for a in body["accepted"])}

    record = records["card-000004"]
    assert record["amount"] == 19.99 and record["channel"] == "web"
    assert record["event_time"] == datetime(2026, 5, 1, 12, 0, 0, 250_000, tzinfo=UTC)
    assert (
        record["card_number"]
        == hmac.new(SALT.encode(), b"4111-card-000004", hashlib.sha256).hexdigest()
    )
    assert record["customer_email"] is None
    assert record["ip_address"] == "****.2.3"
    assert record["source"] == "http"
    assert sent_at - timedelta(seconds=1) <= record["ingest_time"] <= datetime.now(UTC)
    assert records["card-000006"]["ip_address"] is None

    metrics = httpx.get(f"{url}/metrics").text
    name = pipeline.name
    assert f'streamops_ingestion_events_accepted_total{{pipeline="{name}"}} 3.0' in metrics
    for reason in ("wrong_type", "bad_timestamp"):
        line = (
            f'streamops_ingestion_events_rejected_total{{pipeline="{name}",reason="{reason}"}} 1.0'
        )
        assert line in metrics
    assert 'streamops_ingestion_http_requests_total{code="400",endpoint="events"} 1.0' in metrics

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0, log.read_text()
    assert "producer flushed" in log.read_text()
