"""The target: encoding behind the preparer, fastavro as the final guard, the size limit."""

from __future__ import annotations

import json
from pathlib import Path

from streamops.events.prepare import Rejected
from streamops.pipeline import load_pipeline
from streamops_ingestion.settings import IngestionSettings
from streamops_ingestion.target import Ready
from tests.unit.events.samples import transaction
from tests.unit.ingestion.fakes import fraud_target

SCHEMA = {
    "type": "record",
    "name": "Order",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "k", "type": "string"},
        {"name": "t", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
    ],
}
SPEC = """
name: orders
event: {schema: order.avsc, id_field: id, key_field: k, time_field: t}
"""


def test_fastavro_catches_what_the_own_checks_pass_through(tmp_path: Path) -> None:
    (tmp_path / "order.avsc").write_text(json.dumps(SCHEMA))
    (tmp_path / "orders.yaml").write_text(SPEC)
    target, encoder = fraud_target(pipeline=load_pipeline(tmp_path / "orders.yaml"))
    outcome = target.process({"k": "a", "t": 1, "tags": ["x", 2]}, source="http")
    assert isinstance(outcome, Rejected)
    [error] = outcome.errors
    assert (error.field, error.reason) == ("tags", "schema")
    assert error.message.startswith("tags: does not fit the Avro schema")
    good = target.process({"k": "a", "t": 1}, source="http")
    assert isinstance(good, Ready)
    assert encoder.decode(good.value)["tags"] == []  # the schema default filled in


def test_an_event_larger_than_kafka_takes_is_rejected() -> None:
    target, _ = fraud_target(IngestionSettings(max_message_bytes=1024))
    outcome = target.process(transaction(merchant_category="x" * 2000), source="http")
    assert isinstance(outcome, Rejected)
    assert outcome.reason == "too_large"
    assert "more than the 1024 bytes" in outcome.errors[0].message
    assert isinstance(target.process(transaction(), source="http"), Ready)
