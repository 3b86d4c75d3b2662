"""Reading the training runs of a pipeline back from ``{p}.runs``."""

from __future__ import annotations

from typing import cast

from confluent_kafka import Message
from confluent_kafka.schema_registry import SchemaRegistryClient

from streamops.contracts import load_schema
from streamops.contracts.types import TrainingRun
from streamops.registry.errors import ClusterUnavailableError
from streamops.registry.follow import LogFollower
from streamops.serde import AvroDecoder, DecodeError, RegistryUnavailable
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.topics import TopicNames


def read_runs(
    pipeline: str,
    kafka: KafkaSettings,
    registry: SchemaRegistrySettings,
    *,
    timeout_s: float = 30.0,
) -> list[TrainingRun]:
    """Every run recorded on ``{p}.runs`` so far, in the order written (unreadable
    records left out)."""
    decoder = AvroDecoder(
        SchemaRegistryClient(registry.client_config()), load_schema("TrainingRun")
    )
    runs: list[TrainingRun] = []

    def keep(message: Message) -> None:
        try:
            runs.append(cast(TrainingRun, decoder.decode(message.value())))
        except DecodeError:
            pass  # not a run this reader can read; the others still are
        except RegistryUnavailable as exc:
            raise ClusterUnavailableError(str(exc)) from exc

    follower = LogFollower(kafka, [TopicNames(pipeline).runs], timeout_s=timeout_s)
    try:
        follower.catch_up(keep)
    finally:
        follower.close()
    return runs
