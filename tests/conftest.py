"""Session-wide fixtures: one real Kafka broker and one real schema registry for the suite."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.backends import Backends, provide_backends
from tests.support.kafka import create_topic, unique_name


@pytest.fixture(scope="session")
def backends() -> Iterator[Backends]:
    """The broker + registry for this session (environment, containers, or local launcher)."""
    with provide_backends() as found:
        yield found


@pytest.fixture(scope="session")
def kafka(backends: Backends) -> str:
    """Bootstrap servers of a running Kafka broker."""
    return backends.bootstrap_servers


@pytest.fixture(scope="session")
def schema_registry(backends: Backends) -> str:
    """URL of a running Confluent-compatible schema registry."""
    return backends.schema_registry_url


@pytest.fixture
def new_topic(kafka: str) -> Callable[..., str]:
    """Create a fresh topic with a unique name: ``new_topic("orders", partitions=3)``."""

    def make(prefix: str = "test", partitions: int = 1) -> str:
        return create_topic(kafka, unique_name(prefix), partitions)

    return make
