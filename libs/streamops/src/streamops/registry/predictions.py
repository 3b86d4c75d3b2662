"""Finding one Prediction on ``{p}.predictions`` by its id.

The topic is keyed by entity, not by prediction id, so the only way to a prediction is a
scan from the first offset of every partition, ``read_committed``. Avro writes a string
as its UTF-8 bytes, so a record whose value does not contain the id's bytes cannot be
the one: only the few that do are decoded. The scan stops at the first match; a replay
writes the same prediction under the same id, so any copy answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import cast

from confluent_kafka import Message
from confluent_kafka.schema_registry import SchemaRegistryClient

from streamops.contracts import load_schema
from streamops.contracts.types import Prediction
from streamops.registry.errors import ClusterUnavailableError
from streamops.registry.follow import LogFollower
from streamops.serde import AvroDecoder, DecodeError, RegistryUnavailable
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.topics import TopicNames

#: Called with the number of records read so far while a scan goes on.
Progress = Callable[[int], None]
#: Seconds between two calls of a scan's `Progress`.
PROGRESS_INTERVAL_S = 1.0


class _Found(Exception):
    """Ends the scan at the first match (LogFollower.catch_up reads to the end otherwise)."""


def find_prediction(
    pipeline: str,
    prediction_id: str,
    kafka: KafkaSettings,
    registry: SchemaRegistrySettings,
    *,
    timeout_s: float = 30.0,
    progress: Progress | None = None,
) -> Prediction | None:
    """The Prediction with ``prediction_id`` on ``{p}.predictions``, or None when the topic
    holds none; ``progress`` hears how many records were read, every second of the scan."""
    decoder = AvroDecoder(SchemaRegistryClient(registry.client_config()), load_schema("Prediction"))
    needle = prediction_id.encode("utf-8")
    found: list[Prediction] = []
    read, reported = 0, time.monotonic()

    def check(message: Message) -> None:
        nonlocal read, reported
        read += 1
        if progress is not None and time.monotonic() - reported >= PROGRESS_INTERVAL_S:
            progress(read)
            reported = time.monotonic()
        value = message.value()
        if not value or needle not in value:
            return
        try:
            record = cast(Prediction, decoder.decode(value))
        except DecodeError:
            return  # not a prediction this reader can read; the others still are
        except RegistryUnavailable as exc:
            raise ClusterUnavailableError(str(exc)) from exc
        if record["prediction_id"] == prediction_id:
            found.append(record)
            raise _Found

    follower = LogFollower(kafka, [TopicNames(pipeline).predictions], timeout_s=timeout_s)
    try:
        follower.catch_up(check)
    except _Found:
        pass
    finally:
        follower.close()
    return found[0] if found else None
