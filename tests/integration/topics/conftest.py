"""A unique pipeline per test, whose topics are deleted afterwards (the broker is shared)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from confluent_kafka.admin import AdminClient

from tests.support.kafka import delete_pipeline_topics, unique_name


@pytest.fixture
def admin(kafka: str) -> AdminClient:
    """An admin client on the test broker."""
    return AdminClient({"bootstrap.servers": kafka})


@pytest.fixture
def pipeline(admin: AdminClient) -> Iterator[str]:
    """A pipeline name no other test uses; its topics are deleted after the test."""
    name = unique_name("tp").replace("-", "_")
    yield name
    delete_pipeline_topics(admin, name)
