"""A private copy of the fraud pipeline per test, made quick to train: label delay 1 h, the
first model at 1,500 labels, 200 bootstrap resamples; its topics created before, deleted
after."""

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
    private = private_pipeline(
        tmp_path,
        "trn",
        replace={
            "expected_delay: 3d": "expected_delay: 1h",
            "  min_labels: 5000": "  min_labels: 1500",
            "    bootstrap: 1000": "    bootstrap: 200",
            # an alert's job waits for min_labels / holdout share labelled rows since the
            # alert's window: 200 here (an alert's next 300 events), 6,667 in fraud.yaml
            "    min_labels: 1000          #": "    min_labels: 30            #",
            # a probation on the first 1,000 labels after a promotion, not fraud.yaml's 5,000
            "probation: {min_labels: 5000": "probation: {min_labels: 1000",
        },
    )
    create_topics(kafka, private)
    yield private
    delete_pipeline_topics(AdminClient({"bootstrap.servers": kafka}), private.name)
