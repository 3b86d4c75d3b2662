"""A unique pipeline per test, whose topics are deleted afterwards (the broker is shared)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

from streamops.topics import TOPIC_SUFFIXES
from tests.support.kafka import unique_name


@pytest.fixture
def admin(kafka: str) -> AdminClient:
    """An admin client on the test broker."""
    return AdminClient({"bootstrap.servers": kafka})


@pytest.fixture
def pipeline(admin: AdminClient) -> Iterator[str]:
    """A pipeline name no other test uses; its topics are deleted after the test."""
    name = unique_name("tp").replace("-", "_")
    yield name
    # Delete by name rather than by listing: a topic created a moment ago may not be
    # in the metadata yet, and would otherwise be left behind on the shared broker.
    topics = [f"{name}.{suffix}" for suffix in TOPIC_SUFFIXES]
    for future in admin.delete_topics(topics, operation_timeout=30).values():
        try:
            future.result(timeout=30)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                raise
