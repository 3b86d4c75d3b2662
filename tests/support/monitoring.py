"""For monitoring tests: reference profiles made as training makes them
(`streamops_training.profile`) from features records and a model's scores, and a feed of
events with their labels."""

from __future__ import annotations

import datetime
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from sklearn.metrics import average_precision_score

from streamops.contracts import load_schema
from streamops.pipeline import Pipeline
from streamops.pipeline.pii import PiiTreatment
from streamops.serde import AvroEncoder, value_subject
from streamops.topics import TopicNames
from streamops_examples.fraud.generator import Generated
from streamops_training.frame import MISSING_CATEGORY
from streamops_training.profile import categorical_profile, numeric_profile
from tests.support.confluent import registry_client
from tests.support.features_service import (
    produce_valid,
    read_features,
    read_records,
    start_features,
    start_service,
)
from tests.support.kafka import delete_pipeline_topics, delivery_recorder, produce_waiting
from tests.support.pipelines import create_topics, private_pipeline
from tests.support.serving import Registry, feature_kinds, fit_model, frame_of, to_onnx_bytes


def reference_profile(
    pipeline: Pipeline, records: Sequence[dict[str, Any]], scores: np.ndarray
) -> dict[str, Any]:
    """The ReferenceProfile of ``records`` (features records), with ``scores`` as the
    prediction's profile."""
    numeric, categorical = feature_kinds(pipeline)
    features = [
        numeric_profile(
            name, np.asarray([np.nan if r[name] is None else r[name] for r in records], float)
        )
        for name in numeric
    ]
    features += [
        categorical_profile(
            name,
            np.asarray([MISSING_CATEGORY if r[name] is None else r[name] for r in records]),
        )
        for name in categorical
    ]
    return {
        "record_count": len(records),
        "features": features,
        "prediction": numeric_profile("score", np.asarray(scores, float)),
    }


def produce_events_and_labels(
    kafka: str,
    registry: str,
    pipeline: Pipeline,
    generated: Sequence[Generated],
    label_delay_ms: int,
    *,
    raw: bool = False,
) -> int:
    """Each generated event to events.valid and its label (1.0 fraud, 0.0 not) to
    labels.valid ``label_delay_ms`` later in event time, all in order of event time, as a
    live feed interleaves them; returns how many records were written. ``raw``: to
    events.raw (PII treated, as ingestion writes) and labels instead, for validation."""
    names = TopicNames(pipeline.name)
    client = registry_client(registry)
    events_topic = names.events_raw if raw else names.events_valid
    labels_topic = names.labels if raw else names.labels_valid
    events = AvroEncoder(client, value_subject(events_topic), pipeline.event_schema)
    labels = AvroEncoder(client, value_subject(labels_topic), load_schema("Label"))
    treat = PiiTreatment(pipeline.spec.pii, salt="test-salt").apply if raw else dict
    feed: list[tuple[int, int, str, bytes, str]] = []
    for i, g in enumerate(generated):
        e = g.event
        value = events.encode(treat(e))
        feed.append((e["event_time"], i, events_topic, value, e["card_id"]))
        label = {
            "pipeline": pipeline.name,
            "event_id": e["transaction_id"],
            "entity_key": e["card_id"],
            "value": 1.0 if g.is_fraud else 0.0,
            "event_time": e["event_time"],
            "label_time": e["event_time"] + label_delay_ms,
            "source": "manual_review",
        }
        feed.append((label["label_time"], i, labels_topic, labels.encode(label), e["card_id"]))
    feed.sort(key=lambda f: (f[0], f[1]))
    errors, on_delivery = delivery_recorder()
    producer = Producer({"bootstrap.servers": kafka, "linger.ms": 20})
    for _, _, topic, value, key in feed:
        produce_waiting(producer, topic, value, key, on_delivery)
    assert producer.flush(60) == 0
    assert errors == []
    return len(feed)


def wait_for(what: str, check: Callable[[], Any], timeout_s: float = 180) -> Any:
    """``check()``'s first truthy result, polled each second; fails after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(1)


@dataclass
class Monitored:
    """A private fraud pipeline with a champion, served in stream mode and monitored."""

    pipeline: Pipeline
    kafka: str
    registry: str
    directory: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start_monitoring(self) -> None:
        self.processes["monitoring"] = start_service(
            "monitoring",
            self.pipeline,
            self.kafka,
            self.registry,
            self.directory / "monitoring.log",
            {"STREAMOPS_MONITORING_HEALTH_PORT": "0"},
        )

    def kill_monitoring(self) -> None:
        """kill -9, as a crash."""
        process = self.processes["monitoring"]
        process.send_signal(signal.SIGKILL)
        process.wait(30)

    def alerts(self) -> list[dict[str, Any]]:
        """Every alert on the pipeline's alerts topic but data-quality ones, in order."""
        topic = TopicNames(self.pipeline.name).alerts
        found = read_records(self.kafka, self.registry, topic, 1)
        return [a for a in found if a["kind"] != "DATA_QUALITY"]


@contextmanager
def monitored_pipeline(
    directory: Path,
    kafka: str,
    registry: str,
    prefix: str,
    first: Sequence[Generated],
    reference: range,
) -> Iterator[Monitored]:
    """Events ``first`` through the features service; a logistic regression fitted on the
    first two thirds of the features of ``first[reference]``, published with their
    reference profile and the PR-AUC of the last third as its holdout figure, and promoted;
    then serving's stream scoring and the monitoring service started as processes.
    Everything is stopped, and the pipeline's topics deleted, on the way out."""
    pipeline = private_pipeline(directory, prefix)
    create_topics(kafka, pipeline)
    produce_valid(kafka, registry, pipeline, [g.event for g in first])
    m = Monitored(pipeline, kafka, registry, directory)
    publisher = None
    try:
        m.processes["features"] = start_features(
            pipeline, kafka, registry, directory / "features.log"
        )
        records = wait_for(
            "the reference's features",
            lambda: (r := read_features(kafka, registry, pipeline)) and len(r) >= len(first) and r,
        )
        fraud = {g.event["transaction_id"]: int(g.is_fraud) for g in first}
        by_id = {r["event_id"]: r for r in records}
        rows = [by_id[g.event["transaction_id"]] for g in first[reference.start : reference.stop]]
        labels = [fraud[r["event_id"]] for r in rows]
        fitted = len(rows) * 2 // 3  # the newest third is the holdout, as training's split
        model = fit_model(pipeline, rows[:fitted], labels[:fitted], "logistic")
        scores = model.predict_proba(frame_of(pipeline, rows))[:, 1]
        publisher = Registry(pipeline, kafka, registry)
        publisher.publish(
            1,
            to_onnx_bytes(pipeline, model),
            threshold=0.3,
            reference_profile=reference_profile(pipeline, rows, scores),
            metrics={"pr_auc": float(average_precision_score(labels[fitted:], scores[fitted:]))},
            training_window={
                "start": min(r["event_time"] for r in rows),
                "end": max(r["event_time"] for r in rows) + datetime.timedelta(milliseconds=1),
                "train_count": fitted,
                "holdout_count": len(rows) - fitted,
            },
        )
        publisher.deploy("PROMOTE", 1)
        serving = {
            "STREAMOPS_PII_SALT": "test-salt",
            "STREAMOPS_SERVING_MODE": "stream",
            "STREAMOPS_SERVING_HEALTH_PORT": "0",
        }
        m.processes["serving"] = start_service(
            "serving", pipeline, kafka, registry, directory / "serving.log", serving
        )
        m.start_monitoring()
        yield m
    finally:
        for p in m.processes.values():
            p.terminate()
        for p in m.processes.values():
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        if publisher is not None:
            publisher.close()
        delete_pipeline_topics(AdminClient({"bootstrap.servers": kafka}), pipeline.name)
