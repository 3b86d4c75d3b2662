"""Session-wide fixtures: one real Kafka broker and one real schema registry for the suite."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from tests.support.backends import Backends, crashable, provide_backends
from tests.support.kafka import create_topic, unique_name

# Before any test imports scikit-learn: idle OpenMP threads sleep rather than spin, as in the
# training service (streamops_training sets the same); spinning made fits 3-10x slower on
# a busy 2-core machine.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


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
def crashable_backends(
    backends: Backends, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backends]:
    """A broker + registry whose broker the test may kill -9 (``crash_broker`` is set): the
    session's when the suite started it, else a private pair started for the test."""
    with crashable(backends, tmp_path_factory.mktemp("crashable")) as found:
        yield found


@pytest.fixture
def new_topic(kafka: str) -> Callable[..., str]:
    """Create a fresh topic with a unique name: ``new_topic("orders", partitions=3)``."""

    def make(prefix: str = "test", partitions: int = 1) -> str:
        return create_topic(kafka, unique_name(prefix), partitions)

    return make
