"""Thin wrappers over AdminClient calls: futures to outcomes, librdkafka errors to ours."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Mapping
from typing import Any, TypeVar

from confluent_kafka import KafkaError, KafkaException

# confluent_kafka.admin re-exports its public classes with plain imports and no __all__, so
# strict mypy (no implicit re-export) rejects importing them from there; they are the
# documented public API, and mypy still checks them against their real definitions.
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AdminClient,
    AlterConfigOpType,
    ClusterMetadata,
    ConfigEntry,
    ConfigResource,
    NewPartitions,
    NewTopic,
    ResourceType,
)

from streamops.topics.errors import TopicAdminError, TopicError

__all__ = [
    "AdminClient",
    "AlterConfigOpType",
    "ClusterMetadata",
    "ConfigEntry",
    "ConfigResource",
    "NewPartitions",
    "NewTopic",
    "ResourceType",
    "cluster_metadata",
    "describe_error",
    "kafka_error",
    "wait_all",
]

K = TypeVar("K")


def kafka_error(exc: KafkaException) -> KafkaError | None:
    """The KafkaError a KafkaException carries, if it carries one."""
    first = exc.args[0] if exc.args else None
    return first if isinstance(first, KafkaError) else None


def describe_error(error: KafkaError) -> str:
    """``NAME: message``, the form a user can search for."""
    return f"{error.name()}: {error.str()}"


def wait_all(
    futures: Mapping[K, concurrent.futures.Future[Any]], *, timeout_s: float, what: str
) -> dict[K, Any | KafkaError]:
    """Each future's result, or the KafkaError it failed with; raise if the cluster is silent.

    The per-key outcome lets callers treat some broker errors (already exists, unknown
    topic) as answers rather than failures.
    """
    outcomes: dict[K, Any | KafkaError] = {}
    for key, future in futures.items():
        try:
            outcomes[key] = future.result(timeout=timeout_s)
        except concurrent.futures.TimeoutError as exc:
            raise TopicAdminError(
                f"{what}: no answer from the cluster within {timeout_s:g}s; "
                "check that the brokers are up and reachable"
            ) from exc
        except KafkaException as exc:
            error = kafka_error(exc)
            if error is None:
                raise TopicAdminError(f"{what}: {exc}") from exc
            outcomes[key] = error
    return outcomes


def cluster_metadata(admin: AdminClient, *, timeout_s: float) -> ClusterMetadata:
    """All topics and brokers of the cluster, or a `TopicAdminError` saying it cannot be reached."""
    try:
        return admin.list_topics(timeout=timeout_s)
    except KafkaException as exc:
        raise TopicAdminError(
            f"cannot read cluster metadata within {timeout_s:g}s ({exc}); "
            "check the bootstrap servers and that the brokers are up"
        ) from exc


def partition_count(admin: AdminClient, topic: str) -> int:
    """How many partitions ``topic`` has; TopicError naming the fix if it does not exist."""
    try:
        metadata = admin.list_topics(topic, timeout=30)
    except KafkaException as exc:
        raise TopicAdminError(f"cannot read the metadata of {topic}: {exc}") from exc
    found = metadata.topics.get(topic)
    if found is None or found.error is not None or not found.partitions:
        raise TopicError(f"topic {topic} does not exist; create it (streamops topics ensure)")
    return len(found.partitions)
