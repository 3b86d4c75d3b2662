"""Writing a pipeline's features records and valid labels as its services would, for the
tests of what reads them (datasets, training)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from confluent_kafka import Producer

from streamops.contracts import load_schema
from streamops.features import feature_set
from streamops.pipeline import Pipeline
from streamops.serde import AvroEncoder, value_subject
from streamops.topics import TopicNames
from tests.support.confluent import registry_client
from tests.support.kafka import delivery_recorder, produce_waiting, unique_name


@dataclass(frozen=True)
class LabelSent:
    event_id: str
    entity_key: str
    value: float
    event_time: int
    label_time: int


class Writer:
    """Produces features records and labels of one pipeline as its services would."""

    def __init__(self, kafka: str, registry_url: str, pipeline: Pipeline) -> None:
        self.kafka = kafka
        self.names = TopicNames(pipeline.name)
        self.features = feature_set(pipeline)
        registry = registry_client(registry_url)
        self.features_encoder = AvroEncoder(
            registry, value_subject(self.names.features), self.features.schema()
        )
        self.labels_encoder = AvroEncoder(
            registry, value_subject(self.names.labels_valid), load_schema("Label")
        )
        self.pipeline = pipeline.name

    def record(self, n: int, event_time: int, late: bool = False) -> dict[str, Any]:
        record: dict[str, Any] = {
            "event_id": f"tx-{n:016x}",
            "entity_key": f"card-{n % 7:06d}",
            "event_time": event_time,
            "source_topic": self.names.events_valid,
            "source_partition": n % 3,
            "source_offset": n,
            "late": late,
        }
        for f in self.features.features:
            if f.avro_type == "long":
                record[f.name] = n % 5 + 1
            elif f.avro_type == "int":
                record[f.name] = n % 24
            elif f.avro_type == "double":
                record[f.name] = n * 1.5
            elif f.text:  # a passed-through string field
                record[f.name] = None if n % 11 == 0 else f"v{n % 3}"
            else:  # nullable double
                record[f.name] = None if n % 7 == 0 else n / 3
        return record

    def produce_features(self, records: list[dict[str, Any]]) -> None:
        errors, on_delivery = delivery_recorder()
        producer = Producer({"bootstrap.servers": self.kafka, "linger.ms": 20})
        for r in records:
            value = self.features_encoder.encode(r)
            produce_waiting(producer, self.names.features, value, r["entity_key"], on_delivery)
        assert producer.flush(30) == 0
        assert errors == []

    def produce_labels(self, labels: list[LabelSent]) -> None:
        """In one transaction: each partition then ends on a commit marker."""
        producer = Producer(
            {"bootstrap.servers": self.kafka, "transactional.id": unique_name("labels")}
        )
        producer.init_transactions(30)
        producer.begin_transaction()
        for x in labels:
            value = self.labels_encoder.encode(
                {
                    "pipeline": self.pipeline,
                    "event_id": x.event_id,
                    "entity_key": x.entity_key,
                    "value": x.value,
                    "event_time": x.event_time,
                    "label_time": x.label_time,
                    "source": "test",
                }
            )
            produce_waiting(producer, self.names.labels_valid, value, x.entity_key)
        producer.commit_transaction(30)
