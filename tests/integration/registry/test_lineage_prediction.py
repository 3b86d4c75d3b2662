"""`streamops lineage P --prediction ID` on real topics: from one Prediction on
``{p}.predictions`` to its model version, the run that trained it and the run's dataset."""

from __future__ import annotations

import datetime
import hashlib
import os
import re
import uuid
from collections.abc import Callable

import pytest
from confluent_kafka import Producer
from typer.testing import CliRunner, Result

from streamops.cli import app
from streamops.cli.models import EXIT_REFUSED
from streamops.contracts import load_schema
from streamops.contracts.ids import prediction_id
from streamops.contracts.types import Prediction, TrainingRun
from streamops.registry import ModelRegistry, RegistryPublisher, decide
from streamops.registry import predictions as predictions_module
from streamops.registry.predictions import find_prediction
from streamops.serde import AvroEncoder, value_subject
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.topics import TopicNames
from tests.integration.registry.records import MODEL, NOW, version
from tests.support.confluent import registry_client
from tests.unit.contracts.examples import PREDICTION, TRAINING_RUN

runner = CliRunner()
CONTENT_HASH = hashlib.sha256(b"the rows of run one").hexdigest()


def _cli(kafka: str, registry: str, *args: str) -> Result:
    where = ["--bootstrap-servers", kafka, "--registry-url", registry, "--timeout", "20"]
    return runner.invoke(app, [*args, *where])


def _rows(output: str) -> list[tuple[str, str]]:
    """The (label, value) rows of the text tables the command printed."""
    split = [re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in output.splitlines()]
    return [(row[0], row[1]) for row in split if len(row) == 2]


def _prediction(pipeline: str, event_id: str, role: str, **changes: object) -> Prediction:
    record = {
        **PREDICTION,
        "pipeline": pipeline,
        "event_id": event_id,
        "model_name": MODEL,
        "model_version": 1,
        "served_by": role,
        "prediction_id": prediction_id(pipeline, event_id, MODEL, 1, role),
        **changes,
    }
    return record  # type: ignore[return-value]


def _publish_lineage(
    pipeline: str, publisher: RegistryPublisher, open_registry: Callable[[str], ModelRegistry]
) -> str:
    """Version 1, trained by a recorded run on offsets [0, 1234) of features and [0, 56) of
    valid labels, promoted; the run id."""
    names, run_id = TopicNames(pipeline), str(uuid.uuid4())
    ranges = [
        {"topic": names.features, "partition": 0, "start_offset": 0, "end_offset": 1234},
        {"topic": names.labels_valid, "partition": 0, "start_offset": 0, "end_offset": 56},
    ]
    lineage = {**version(pipeline, 1)["lineage"], "training_data": ranges, "parent_version": None}
    schema_ids = {names.features: [101], names.labels_valid: [102]}
    publisher.publish_version(
        version(pipeline, 1, run_id=run_id, lineage=lineage, schema_ids=schema_ids),
        os.urandom(5_000),
    )
    run: TrainingRun = {
        **TRAINING_RUN,
        "run_id": run_id,
        "pipeline": pipeline,
        "model_name": MODEL,
        "outcome": "PROMOTED",
        "reason": "first champion: beats no skill",
        "model_version": 1,
        "dataset": {
            **TRAINING_RUN["dataset"],  # type: ignore[typeddict-item]
            "ranges": ranges,
            "schema_ids": schema_ids,
            "content_hash": CONTENT_HASH,
        },
        "gates": [
            {
                "gate": "beats_no_skill",
                "passed": True,
                "value": 0.91,
                "threshold": 0.5,
                "detail": None,
            }
        ],
    }
    publisher.record_run(run)
    state = open_registry(pipeline).model(MODEL)
    publisher.record_deployment(
        decide(state, "PROMOTE", 1, actor="training", reason="first", decided_at=NOW)
    )
    return run_id


def _produce(kafka: str, schema_registry: str, topic: str, records: list[Prediction]) -> None:
    """Write ``records`` in the Confluent wire format, keyed by entity, as serving would."""
    encoder = AvroEncoder(
        registry_client(schema_registry), value_subject(topic), load_schema("Prediction")
    )
    producer = Producer({"bootstrap.servers": kafka, "enable.idempotence": True})
    for record in records:
        producer.produce(topic, encoder.encode(record), record["entity_key"].encode())
    assert producer.flush(30) == 0


def test_a_prediction_is_traced_to_its_version_run_and_dataset(
    pipeline: str,
    publisher: RegistryPublisher,
    open_registry: Callable[[str], ModelRegistry],
    kafka: str,
    schema_registry: str,
) -> None:
    run_id = _publish_lineage(pipeline, publisher, open_registry)
    names = TopicNames(pipeline)
    http = _prediction(
        pipeline,
        "tx-http",
        "CHAMPION",
        source="HTTP",
        request_id="req-42",
        feature_ref=None,
        event_time=NOW + datetime.timedelta(minutes=5),
    )
    stream = _prediction(
        pipeline,
        "tx-stream",
        "SHADOW",
        source="STREAM",
        feature_ref={"topic": names.features, "partition": 0, "offset": 1500},
    )
    _produce(kafka, schema_registry, names.predictions, [stream, http])

    told = _cli(kafka, schema_registry, "lineage", pipeline, "--prediction", http["prediction_id"])
    assert told.exit_code == 0, told.output
    shown = _rows(told.stdout)
    # the prediction ...
    assert shown[:8] == [
        ("prediction", http["prediction_id"]),
        ("event", "tx-http (entity card-7)"),
        ("served by", f"CHAMPION: {MODEL} v1"),
        ("source", "HTTP (request req-42)"),
        ("answer", "score 0.93, label fraud, fraud=0.93 legit=0.07"),
        ("event time", "2026-03-01 12:05:00"),
        ("predicted", "2026-03-01 12:00:00 in 2.1 ms"),
        ("features", "-"),
    ]
    assert "tx-stream" not in told.stdout
    # ... the model version that made it, the run that trained it, the run's dataset
    assert ("model", f"{MODEL} v1 ({version(pipeline, 1)['algorithm']})") in shown
    assert ("metrics", "auc=0.94 log_loss=0.12") in shown
    assert ("run", run_id) in shown
    assert ("outcome", "PROMOTED: first champion: beats no skill") in shown
    assert ("gate", "beats_no_skill passed 0.91 (threshold 0.5)") in shown
    assert ("content", CONTENT_HASH) in shown
    assert (f"read {names.features}", "partition 0 offsets [0, 1234)") in shown
    assert (f"read {names.labels_valid}", "partition 0 offsets [0, 56)") in shown
    assert (f"schemas {names.features}", "101") in shown

    other = _cli(
        kafka, schema_registry, "lineage", pipeline, "--prediction", stream["prediction_id"]
    )
    assert other.exit_code == 0, other.output
    shown = _rows(other.stdout)
    assert ("served by", f"SHADOW: {MODEL} v1") in shown
    assert ("source", "STREAM") in shown
    assert ("features", f"{names.features} partition 0 offset 1500") in shown
    assert ("run", run_id) in shown


def test_an_unknown_prediction_id_exits_1_naming_the_topic(
    pipeline: str,
    publisher: RegistryPublisher,
    open_registry: Callable[[str], ModelRegistry],
    kafka: str,
    schema_registry: str,
) -> None:
    _publish_lineage(pipeline, publisher, open_registry)
    topic = TopicNames(pipeline).predictions
    _produce(kafka, schema_registry, topic, [_prediction(pipeline, "tx-1", "CHAMPION")])
    unknown = prediction_id(pipeline, "tx-1", MODEL, 1, "SHADOW")  # same event, other role
    told = _cli(kafka, schema_registry, "lineage", pipeline, "--prediction", unknown)
    assert told.exit_code == EXIT_REFUSED, told.output
    assert f"error: no prediction with id {unknown} on {topic}" in told.output
    assert "model " not in told.stdout  # nothing of a version is shown


def test_a_long_scan_reports_its_progress(
    pipeline: str,
    kafka: str,
    schema_registry: str,
    kafka_settings: KafkaSettings,
    registry_settings: SchemaRegistrySettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    topic = TopicNames(pipeline).predictions
    records = [_prediction(pipeline, f"tx-{i}", "CHAMPION") for i in range(50)]
    _produce(kafka, schema_registry, topic, records)
    monkeypatch.setattr(predictions_module, "PROGRESS_INTERVAL_S", 0.0)
    heard: list[int] = []
    found = find_prediction(
        pipeline,
        records[-1]["prediction_id"],
        kafka_settings,
        registry_settings,
        timeout_s=20,
        progress=heard.append,
    )
    assert found is not None and found["event_id"] == "tx-49"
    assert heard == list(range(1, 51))
