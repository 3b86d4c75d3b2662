"""A private copy of the fraud pipeline (its own topics), and producing events into it."""

from __future__ import annotations

import sys
from pathlib import Path

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from streamops.pipeline import Pipeline, load_pipeline
from streamops.pipeline.pii import PiiTreatment
from streamops.serde import AvroEncoder, value_subject
from streamops.topics import ensure_topics, pipeline_topics
from streamops_examples.fraud.generator import Generated
from tests.support.confluent import registry_client
from tests.support.kafka import delivery_recorder, produce_waiting, unique_name

REPO = Path(__file__).resolve().parents[2]
FRAUD = REPO / "deploy" / "pipelines" / "fraud.yaml"
STREAMOPS = Path(sys.executable).parent / "streamops"


def private_pipeline(
    directory: Path, prefix: str = "val", replace: dict[str, str] | None = None
) -> Pipeline:
    """fraud.yaml under a unique name (its own topics), with optional text replacements."""
    text = (
        FRAUD.read_text()
        .replace(
            "../../schemas/fraud/Transaction.avsc", str(REPO / "schemas/fraud/Transaction.avsc")
        )
        .replace("name: fraud\n", f"name: {unique_name(prefix).replace('-', '_')}\n")
    )
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path = directory / "pipeline.yaml"
    path.write_text(text)
    return load_pipeline(path)


def create_topics(kafka: str, pipeline: Pipeline) -> None:
    admin = AdminClient({"bootstrap.servers": kafka})
    assert ensure_topics(admin, pipeline_topics(pipeline.name, partitions=3)).ok


def produce_events(
    kafka: str, registry_url: str, pipeline: Pipeline, generated: list[Generated]
) -> None:
    """Produce events as ingestion would: PII treated, Avro, keyed by card id."""
    topic = f"{pipeline.name}.events.raw"
    encoder = AvroEncoder(
        registry_client(registry_url), value_subject(topic), pipeline.event_schema
    )
    pii = PiiTreatment(pipeline.spec.pii, salt="test-salt")
    errors, on_delivery = delivery_recorder()
    producer = Producer({"bootstrap.servers": kafka, "linger.ms": 20})
    for n, g in enumerate(generated):
        value = encoder.encode(pii.apply(g.event))
        produce_waiting(producer, topic, value, g.event["card_id"], on_delivery)
        if n % 10_000 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0
    assert errors == []
