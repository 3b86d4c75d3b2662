"""One served pipeline for the serving tests of a session: a private copy of the fraud
pipeline whose features service has computed 3,000 events, a logistic regression fitted
on them published as v1 and promoted, and a serving process following it all."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient

from streamops.pipeline import Pipeline
from streamops_examples.fraud.generator import Generated, generate
from streamops_serving.lineup import Deployed
from tests.support.features_service import produce_valid, read_features, start_features
from tests.support.kafka import delete_pipeline_topics
from tests.support.pipelines import create_topics, private_pipeline
from tests.support.serving import InProcessServer, Registry, fit

EVENTS = 3_000


@dataclass
class Served:
    pipeline: Pipeline
    kafka: str
    schema_registry: str
    registry: Registry
    server: InProcessServer
    logistic: bytes
    forest: bytes
    #: events the features service has not seen, to send to serving
    unseen: Iterator[Generated]

    @property
    def champion(self) -> Deployed:
        """The version the server answers with now (the line-up tests promote others)."""
        champion = self.server.server.scorer.lineup.champion
        assert champion is not None
        return champion

    def event(self) -> dict[str, Any]:
        """A new event (JSON-ready: times as epoch ms) the features service has not seen."""
        return dict(next(self.unseen).event)


@pytest.fixture(scope="session")
def served(
    tmp_path_factory: pytest.TempPathFactory, kafka: str, schema_registry: str
) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("serving")
    pipeline = private_pipeline(directory, "srv")
    create_topics(kafka, pipeline)
    generated = generate(EVENTS + 2_000, seed=5, events_per_second=2.0)
    seen = list(itertools.islice(generated, EVENTS))
    produce_valid(kafka, schema_registry, pipeline, [g.event for g in seen])
    features = start_features(pipeline, kafka, schema_registry, directory / "features.log")
    registry = server = None
    try:
        records = _features(kafka, schema_registry, pipeline, EVENTS)
        fraud = {g.event["transaction_id"]: int(g.is_fraud) for g in seen}
        labels = [fraud[r["event_id"]] for r in records]
        logistic = fit(pipeline, records, labels, "logistic")
        forest = fit(pipeline, records, labels, "forest")
        registry = Registry(pipeline, kafka, schema_registry)
        registry.publish(1, logistic, threshold=0.3)
        registry.deploy("PROMOTE", 1)
        server = InProcessServer(pipeline, kafka, schema_registry).start()
        yield Served(
            pipeline, kafka, schema_registry, registry, server, logistic, forest, generated
        )
    finally:
        if server is not None:
            server.stop()
        if registry is not None:
            registry.close()
        features.terminate()
        features.wait(30)
        delete_pipeline_topics(AdminClient({"bootstrap.servers": kafka}), pipeline.name)


def _features(kafka: str, registry: str, pipeline: Pipeline, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 120
    while True:
        records = read_features(kafka, registry, pipeline)
        if len(records) >= count:
            return records
        assert time.monotonic() < deadline, f"{len(records)} features records of {count}"
        time.sleep(1)
