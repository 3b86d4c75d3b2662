"""A private copy of the fraud pipeline per test (its own topics, deleted afterwards), and the
environment the ingestion processes run with."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from tests.integration.ingestion.support import (
    SALT,
    PrivatePipeline,
)
from tests.support.kafka import delete_pipeline_topics
from tests.support.pipelines import private_pipeline


@pytest.fixture
def pipeline(tmp_path: Path, kafka: str) -> Iterator[PrivatePipeline]:
    """fraud.yaml renamed, with an absolute schema path; its topics are deleted afterwards."""
    private = private_pipeline(tmp_path, prefix="ingest")
    yield PrivatePipeline(private.name, private.file)
    delete_pipeline_topics(AdminClient({"bootstrap.servers": kafka}), private.name)


@pytest.fixture
def service_env(kafka: str, schema_registry: str) -> dict[str, str]:
    """Environment of an ingestion process talking to the test broker and registry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMOPS_")}
    env.update(
        STREAMOPS_KAFKA_BOOTSTRAP_SERVERS=kafka,
        STREAMOPS_SCHEMA_REGISTRY_URL=schema_registry,
        STREAMOPS_PII_SALT=SALT,
        # the test broker is a single node
        STREAMOPS_INGESTION_TOPIC_PARTITIONS="3",
    )
    return env
