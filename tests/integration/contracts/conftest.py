"""A unique subject prefix per test, so the shared registry sees no clashes and no leftovers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from tests.support.confluent import registry_client as timed_registry_client
from tests.support.kafka import unique_name


@pytest.fixture
def registry_client(schema_registry: str) -> SchemaRegistryClient:
    """A client of the test registry."""
    return timed_registry_client(schema_registry)


@pytest.fixture
def subject_prefix(registry_client: SchemaRegistryClient) -> Iterator[str]:
    """A prefix for this test's subjects; every subject under it is deleted afterwards."""
    prefix = f"{unique_name('contracts')}."
    yield prefix
    for subject in registry_client.get_subjects():
        if subject.startswith(prefix):
            registry_client.delete_subject(subject)
            registry_client.delete_subject(subject, permanent=True)


@pytest.fixture
def register(
    registry_client: SchemaRegistryClient, subject_prefix: str
) -> Callable[[str, object], str]:
    """Register a schema under ``subject_prefix + subject``; returns the full subject."""

    def run(subject: str, schema: object) -> str:
        full = f"{subject_prefix}{subject}"
        registry_client.register_schema(full, Schema(json.dumps(schema), "AVRO"))
        return full

    return run
