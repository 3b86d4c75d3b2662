"""A private copy of the fraud pipeline per test, label delay 1 h; its topics are created
before and deleted after."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from streamops.pipeline import Pipeline
from tests.support.kafka import delete_pipeline_topics
from tests.support.pipelines import create_topics, private_pipeline


@pytest.fixture
def pipeline(tmp_path: Path, kafka: str) -> Iterator[Pipeline]:
    """fraud.yaml renamed, ``expected_delay: 1h``, with its topics (3 partitions)."""
    private = private_pipeline(tmp_path, "ds", replace={"expected_delay: 3d": "expected_delay: 1h"})
    create_topics(kafka, private)
    yield private
    delete_pipeline_topics(AdminClient({"bootstrap.servers": kafka}), private.name)
