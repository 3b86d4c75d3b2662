"""A private copy of the delivery pipeline (its own topics), orders and their delivery
times produced into it in event-time order, and counting what landed in a topic."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from streamops.contracts import load_schema
from streamops.contracts.types import Label
from streamops.pipeline import Pipeline, load_pipeline
from streamops.pipeline.pii import PiiTreatment
from streamops.serde import AvroEncoder, value_subject
from streamops.topics import TopicNames
from streamops_examples.delivery.generator import Order
from streamops_examples.delivery.labels import delivery_label
from tests.support.confluent import registry_client
from tests.support.kafka import (
    delete_pipeline_topics,
    delivery_recorder,
    produce_waiting,
    unique_name,
)
from tests.support.pipelines import REPO

DELIVERY = REPO / "deploy" / "pipelines" / "delivery.yaml"
ORDER_SCHEMA = REPO / "schemas" / "delivery" / "Order.avsc"
SALT = "test-salt"


def private_delivery_pipeline(
    directory: Path, prefix: str = "dlv", replace: dict[str, str] | None = None
) -> Pipeline:
    """delivery.yaml under a unique name (its own topics), with optional text replacements."""
    text = (
        DELIVERY.read_text()
        .replace("../../schemas/delivery/Order.avsc", str(ORDER_SCHEMA))
        .replace("name: delivery\n", f"name: {unique_name(prefix).replace('-', '_')}\n")
    )
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path = directory / "pipeline.yaml"
    path.write_text(text)
    return load_pipeline(path)


class OrderFeed:
    """Writes orders to ``{p}.events.raw`` as ingestion would (PII treated, Avro, keyed by
    restaurant id) and each delivery time to ``{p}.labels`` once event time has reached its
    label time: the example's simulated clock, run as fast as the broker takes it."""

    def __init__(self, kafka: str, registry: str, pipeline: Pipeline) -> None:
        names = TopicNames(pipeline.name)
        self.pipeline = pipeline.name
        self.events_topic, self.labels_topic = names.events_raw, names.labels
        client = registry_client(registry)
        self.events = AvroEncoder(client, value_subject(names.events_raw), pipeline.event_schema)
        self.labels = AvroEncoder(client, value_subject(names.labels), load_schema("Label"))
        self.pii = PiiTreatment(pipeline.spec.pii, salt=SALT)
        self.errors, self._on_delivery = delivery_recorder()
        self.producer = Producer({"bootstrap.servers": kafka, "linger.ms": 20})
        self._due: list[tuple[int, int, Label]] = []  # (label time, order, label)
        self.orders = self.labels_written = 0

    def write(self, orders: Iterable[Order], *, labels: bool = True) -> None:
        """Produce ``orders``, each after the labels due by its event time (with ``labels``;
        without, they wait for `write_labels`); wait for delivery."""
        for order in orders:
            now: int = order.event["event_time"]
            if labels:
                self._labels_until(now)
            event = self.pii.apply(order.event)
            self._produce(self.events_topic, event["restaurant_id"], self.events.encode(event))
            self.orders += 1
            label = delivery_label(self.pipeline, order)
            heapq.heappush(self._due, (now + order.label_delay_ms, self.orders, label))
        self._flush()

    def write_labels(self, until_ms: int | None = None) -> None:
        """Produce the labels due by ``until_ms`` (None: all, the deliveries still under way
        included); wait for delivery."""
        self._labels_until(until_ms)
        self._flush()

    def _labels_until(self, now_ms: int | None) -> None:
        while self._due and (now_ms is None or self._due[0][0] <= now_ms):
            label = heapq.heappop(self._due)[2]
            self._produce(self.labels_topic, label["entity_key"], self.labels.encode(label))
            self.labels_written += 1

    def _produce(self, topic: str, key: str, value: bytes) -> None:
        produce_waiting(self.producer, topic, value, key, self._on_delivery)

    def _flush(self) -> None:
        assert self.producer.flush(60) == 0
        assert self.errors == []


def labels_due(orders: Iterable[Order], until_ms: int) -> int:
    """How many of ``orders`` were delivered by ``until_ms`` (event time)."""
    return sum(o.event["event_time"] + o.label_delay_ms <= until_ms for o in orders)


def delete_topics(kafka: str, pipeline: str) -> None:
    """Delete every topic of ``pipeline``: the catalog's, and the stages' changelogs and
    partials (``{pipeline}.<stage>.…``)."""
    admin = AdminClient({"bootstrap.servers": kafka})
    delete_pipeline_topics(admin, pipeline)
    stages = [t for t in admin.list_topics(timeout=30).topics if t.startswith(f"{pipeline}.")]
    if not stages:
        return
    for future in admin.delete_topics(stages, operation_timeout=30).values():
        try:
            future.result(timeout=30)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                raise


def count_records(
    kafka: str, topic: str, partitions: int = 3, start: Mapping[int, int] | None = None
) -> int:
    """How many committed records ``topic`` holds (read, not decoded); with ``start``, how
    many from those offsets on (e.g. `tests.support.kafka.end_offsets` before a run)."""
    consumer = Consumer(
        {
            "bootstrap.servers": kafka,
            "group.id": unique_name("counter"),
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
            "enable.auto.commit": False,
        }
    )
    offsets = start or dict.fromkeys(range(partitions), 0)
    consumer.assign([TopicPartition(topic, p, offsets[p]) for p in range(partitions)])
    count, at_end = 0, set()
    try:
        while len(at_end) < partitions:
            for m in consumer.consume(10_000, 1.0):
                err = m.error()
                if err is None:
                    count += 1
                elif err.code() == KafkaError._PARTITION_EOF:
                    at_end.add(m.partition())
                else:
                    raise AssertionError(str(err))
    finally:
        consumer.close()
    return count
