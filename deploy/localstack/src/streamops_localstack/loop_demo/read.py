"""What the demo reads back from the pipeline's topics once the stream has played."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from confluent_kafka import Message
from confluent_kafka.schema_registry import SchemaRegistryClient

from streamops.contracts.types import Alert, Deployment, TrainingRun
from streamops.registry import read_runs
from streamops.registry.follow import LogFollower
from streamops.serde import AvroDecoder
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.topics import TopicNames
from streamops_localstack.loop_demo.scores import Served


def _records(
    kafka: KafkaSettings, registry: SchemaRegistrySettings, topic: str
) -> list[tuple[dict[str, Any], float]]:
    """Every committed record of ``topic``, decoded as written, with when it was written
    (its Kafka timestamp, in seconds)."""
    decoder = AvroDecoder(SchemaRegistryClient(registry.client_config()))
    found: list[tuple[dict[str, Any], float]] = []

    def keep(message: Message) -> None:
        found.append((decoder.decode(message.value()), message.timestamp()[1] / 1000))

    follower = LogFollower(kafka, [topic], timeout_s=30)
    try:
        follower.catch_up(keep)
    finally:
        follower.close()
    return found


@dataclass(frozen=True)
class Played:
    """The pipeline's record of the demo: predictions with their truth, alerts, runs."""

    served: list[Served]  #: the champion's predictions
    #: in the order written (OPEN, then RESOLVED of the same id), with when (wall clock, s):
    #: an alert's own times are the event-time window it judged
    alerts: list[tuple[Alert, float]]
    runs: list[TrainingRun]
    deployments: list[Deployment]


def read_played(
    pipeline: str,
    kafka: KafkaSettings,
    registry: SchemaRegistrySettings,
    deployments: list[Deployment],
) -> Played:
    """Predictions joined with the validated labels (a transaction with a chargeback is
    fraud; without one, legitimate: the spec's ``negative_after_delay``)."""
    names = TopicNames(pipeline)
    fraud = {
        label["event_id"]
        for label, _ in _records(kafka, registry, names.labels_valid)
        if label["value"] >= 0.5
    }
    served = [
        Served(
            int(p["event_time"].timestamp() * 1000),
            p["model_version"],
            float(p["score"]),
            p["event_id"] in fraud,
            p["event_id"],
        )
        for p, _ in _records(kafka, registry, names.predictions)
        if p["served_by"] == "CHAMPION" and p.get("score") is not None
    ]
    alerts = cast(list[tuple[Alert, float]], _records(kafka, registry, names.alerts))
    return Played(served, alerts, read_runs(pipeline, kafka, registry), deployments)
