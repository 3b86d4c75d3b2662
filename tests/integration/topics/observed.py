"""Read back what the broker has, independently of the code under test."""

from __future__ import annotations

from typing import Any

from confluent_kafka import TopicCollection
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, ResourceType


def partitions(admin: AdminClient, topic: str) -> int:
    """The partition count the broker reports for ``topic``."""
    return len(admin.list_topics(topic=topic, timeout=10).topics[topic].partitions)


def replicas(admin: AdminClient, topic: str) -> set[int]:
    """The replica counts of ``topic``'s partitions (one value when all agree)."""
    metadata = admin.list_topics(topic=topic, timeout=10).topics[topic]
    return {len(partition.replicas) for partition in metadata.partitions.values()}


def configs(admin: AdminClient, topic: str) -> dict[str, str | None]:
    """Every config value of ``topic`` as DescribeConfigs reports it."""
    resource = ConfigResource(ResourceType.TOPIC, topic)
    entries: dict[str, Any] = admin.describe_configs([resource])[resource].result(timeout=30)
    return {key: entry.value for key, entry in entries.items()}


def topic_ids(admin: AdminClient, topics: list[str]) -> dict[str, str]:
    """Topic ids: they change when a topic is deleted and created again."""
    futures = admin.describe_topics(TopicCollection(topics))
    return {name: str(future.result(timeout=30).topic_id) for name, future in futures.items()}


def pipeline_topic_names(admin: AdminClient, pipeline: str) -> set[str]:
    """The topics on the broker that belong to ``pipeline``."""
    return {t for t in admin.list_topics(timeout=10).topics if t.startswith(f"{pipeline}.")}


def precreate(admin: AdminClient, topic: str, partitions: int, config: dict[str, str]) -> None:
    """Create ``topic`` the way someone else might have, before the catalog is ensured."""
    new = NewTopic(topic, num_partitions=partitions, replication_factor=1, config=config)
    admin.create_topics([new])[topic].result(timeout=30)
