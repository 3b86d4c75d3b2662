"""Wiring an example's producer to a cluster: PII salt, topics, schema registry, producer."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient

from streamops.contracts import load_schema
from streamops.pipeline import Pipeline
from streamops.pipeline.pii import MissingSaltError, PiiTreatment
from streamops.serde import AvroEncoder, RegistryUnavailable, value_subject
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.topics import EnsureReport, TopicError, TopicNames, ensure_topics
from streamops.topics import pipeline_topics as catalog
from streamops_examples.produce_loop import PRODUCER_CONFIG, PacedProducer

P = TypeVar("P", bound=PacedProducer[Any, Any, Any])


#: Where `make up` (deploy/localstack) keeps the local stack's PII salt, relative to its
#: data directory ($STREAMOPS_LOCAL_VAR_DIR, default var/ at the top of the repository).
LOCAL_SALT_FILE = "pii-salt"


def local_stack_salt() -> str | None:
    """The salt the local stack's ingestion uses, if one is found: in
    $STREAMOPS_LOCAL_VAR_DIR, else var/ in the working directory, else var/ of the checkout
    this package runs from."""
    configured = os.environ.get("STREAMOPS_LOCAL_VAR_DIR")
    places = (
        [Path(configured)]
        if configured
        else [Path("var"), Path(__file__).resolve().parents[3] / "var"]
    )
    for place in places:
        file = place / LOCAL_SALT_FILE
        if file.is_file():
            return file.read_text().strip() or None
    return None


class ProduceSetupError(RuntimeError):
    """The producer cannot start: no PII salt, a bad pipeline name, cluster or registry down."""


def open_producer(
    factory: type[P],
    pipeline: Pipeline,
    *,
    kafka: KafkaSettings,
    registry: SchemaRegistrySettings,
    salt: str | None,
    name: str | None = None,
    timeout_s: float = 30.0,
) -> tuple[P, EnsureReport]:
    """A ``factory`` producer (`FraudProducer`, `DeliveryProducer`) for ``pipeline``'s
    topics (under ``name`` instead of the spec's name when given), after creating any
    missing topic; also the report of that topic check."""
    name = name or pipeline.name
    try:
        topics = TopicNames(name)
    except TopicError as exc:
        raise ProduceSetupError(str(exc)) from exc
    try:  # before touching the cluster: PII must never reach Kafka untreated
        found = salt or os.environ.get(pipeline.spec.pii.salt_env) or local_stack_salt()
        pii = PiiTreatment(pipeline.spec.pii, found)
    except MissingSaltError as exc:
        raise ProduceSetupError(
            f"{exc}, or pass --pii-salt (no local stack's var/{LOCAL_SALT_FILE} either: "
            "`make up` makes one)"
        ) from exc
    labels_topic = pipeline.spec.label_topic if name == pipeline.name else topics.labels
    try:
        report = ensure_topics(
            AdminClient(kafka.client_config()), catalog(name), timeout_s=timeout_s
        )
    except TopicError as exc:
        raise ProduceSetupError(f"{exc} (bootstrap servers: {kafka.bootstrap_servers})") from exc
    client = SchemaRegistryClient({**registry.client_config(), "timeout": timeout_s})
    try:
        events = AvroEncoder(client, value_subject(topics.events_raw), pipeline.event_schema)
        labels = AvroEncoder(client, value_subject(labels_topic), load_schema("Label"))
    except RegistryUnavailable as exc:
        raise ProduceSetupError(f"{exc} (registry: {registry.url})") from exc
    except Exception as exc:  # connection refused, DNS, timeouts (raised by the HTTP client)
        raise ProduceSetupError(
            f"cannot reach the schema registry at {registry.url}: {type(exc).__name__}: {exc}"
        ) from exc
    producer = Producer({**kafka.client_config(), **PRODUCER_CONFIG})
    return factory(producer, name, events, labels, pii, labels_topic=labels_topic), report
