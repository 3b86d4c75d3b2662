"""Models and servers for the serving tests.

A model is fitted on features records as the features service wrote them, exported as
training exports (`streamops_training.export.to_onnx`: one input per feature), published
with the registry's publisher and deployed with its `decide`, as training and operators do.
The server runs in this process (uvicorn in a thread, port picked by the system), so a
test can reach into its parts, e.g. to slow its shadow down.
"""

from __future__ import annotations

import datetime
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import uvicorn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline as SkPipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from streamops.features import feature_set
from streamops.pipeline import Pipeline
from streamops.pipeline.pii import PiiTreatment
from streamops.registry import ModelRegistry, RegistryPublisher, decide
from streamops.runtime import StreamSettings
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops_serving.service import ServingServer
from streamops_serving.settings import ServingSettings
from streamops_training.export import signature, to_onnx
from streamops_training.frame import column_kind
from tests.unit.registry.records import version as version_record

MODEL = "fraud-detector"


def feature_kinds(pipeline: Pipeline) -> tuple[list[str], list[str]]:
    """The numeric and the categorical features of the pipeline's features records."""
    fs = feature_set(pipeline)
    types = {f["name"]: f["type"] for f in fs.schema()["fields"]}
    numeric = [n for n in fs.names if column_kind(types[n]) == "numeric"]
    categorical = [n for n in fs.names if column_kind(types[n]) == "categorical"]
    return numeric, categorical


def fit(
    pipeline: Pipeline,
    records: Sequence[dict[str, Any]],
    labels: Sequence[int],
    kind: str,
    trees: int = 20,
    depth: int = 6,
) -> bytes:
    """ONNX bytes of a ``kind`` ('logistic' or 'forest') classifier on the records."""
    return to_onnx_bytes(pipeline, fit_model(pipeline, records, labels, kind, trees, depth))


def to_onnx_bytes(pipeline: Pipeline, model: SkPipeline) -> bytes:
    """A fitted model exported as training exports it."""
    numeric, categorical = feature_kinds(pipeline)
    return to_onnx(model, tuple(numeric), tuple(categorical), MODEL)


def frame_of(pipeline: Pipeline, records: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """The records' features as the fitted models read them."""
    numeric, categorical = feature_kinds(pipeline)
    frame = pd.DataFrame([{n: r[n] for n in (*numeric, *categorical)} for r in records])
    frame[numeric] = frame[numeric].astype(float)
    frame[categorical] = frame[categorical].fillna("").astype(str)
    return frame


def fit_model(
    pipeline: Pipeline,
    records: Sequence[dict[str, Any]],
    labels: Sequence[int],
    kind: str,
    trees: int = 20,
    depth: int = 6,
) -> SkPipeline:
    """A fitted ``kind`` ('logistic' or 'forest') classifier on the records."""
    numeric, categorical = feature_kinds(pipeline)
    frame = frame_of(pipeline, records)
    estimator = (
        LogisticRegression(max_iter=300)
        if kind == "logistic"
        else RandomForestClassifier(n_estimators=trees, max_depth=depth, random_state=1)
    )
    model = SkPipeline(
        [
            (
                "prepare",
                ColumnTransformer(
                    [
                        (
                            "num",
                            SkPipeline([("impute", SimpleImputer()), ("scale", StandardScaler())]),
                            numeric,
                        ),
                        ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
                    ]
                ),
            ),
            ("model", estimator),
        ]
    )
    model.fit(frame, np.asarray(labels))
    return model


class Registry:
    """Publishes versions and decides deployments of the test model."""

    def __init__(self, pipeline: Pipeline, kafka: str, registry: str) -> None:
        self.pipeline = pipeline
        self.kafka = KafkaSettings(bootstrap_servers=kafka)
        self.schema_registry = SchemaRegistrySettings(url=registry)
        self.publisher = RegistryPublisher(pipeline.name, self.kafka, self.schema_registry)
        self.reader = ModelRegistry(pipeline.name, self.kafka, self.schema_registry)

    def publish(
        self,
        number: int,
        onnx: bytes,
        threshold: float = 0.5,
        extra: Sequence[str] = (),
        **fields: Any,
    ) -> None:
        """Publish ``onnx`` as version ``number``; ``extra`` feature names are claimed too;
        ``fields`` replace the record's (e.g. its reference_profile)."""
        numeric, categorical = feature_kinds(self.pipeline)
        record = {
            **version_record(number, MODEL),
            **fields,
            "pipeline": self.pipeline.name,
            "task": "BINARY_CLASSIFICATION",
            "feature_names": [*numeric, *categorical, *extra],
            "decision_threshold": threshold,
            "signature": signature(onnx),
            "onnx_sha256": "",
            "run_id": None,
        }
        self.publisher.publish_version(record, onnx)  # type: ignore[arg-type]
        self.reader.wait_for_version(MODEL, number, 30)

    def publish_champion(
        self, records: Sequence[dict[str, Any]], trees: int = 100, depth: int = 10
    ) -> None:
        """A random forest fitted on up to 5,000 of ``records`` (`log_writer.Writer`'s: an
        event id ending in 0 or 5 is fraud), published as version 1 and promoted."""
        # an odd stride: an even one can pick event ids of one last hex digit, one class
        # (400,000 records, stride 80 = 0x50: every id ended in 0)
        sample = records[:: max(1, len(records) // 5000) | 1]
        labels = [int(r["event_id"][-1] in "05") for r in sample]
        self.publish(1, fit(self.pipeline, sample, labels, "forest", trees=trees, depth=depth))
        self.deploy("PROMOTE", 1)

    def deploy(self, action: str, number: int | None, weight: float | None = None) -> None:
        self.reader.refresh()
        state = self.reader.model(MODEL)
        record = decide(
            state,
            action,  # type: ignore[arg-type]
            number,
            actor="test",
            reason=f"test: {action.lower()}",
            decided_at=datetime.datetime.now(datetime.UTC),
            canary_weight=weight,
        )
        self.publisher.record_deployment(record)

    def close(self) -> None:
        self.publisher.close()
        self.reader.close()


class InProcessServer:
    """A `ServingServer` behind uvicorn in a thread of this process."""

    def __init__(self, pipeline: Pipeline, kafka: str, registry: str, **settings: Any) -> None:
        self.server = ServingServer(
            pipeline,
            ServingSettings(health_port=0, **settings),
            StreamSettings(batch_max_wait_s=0.1, processing_guarantee="at_least_once"),
            KafkaSettings(bootstrap_servers=kafka),
            SchemaRegistrySettings(url=registry),
            PiiTreatment(pipeline.spec.pii, salt="test-salt"),
        )
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.server.app, loop="uvloop", http="httptools", log_config=None, access_log=False
        )
        self.uvicorn = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=lambda: self.uvicorn.run(sockets=[self.socket]), daemon=True
        )

    def start(self, timeout_s: float = 60) -> InProcessServer:
        self.server.start()
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while self.server.waiting():
            assert time.monotonic() < deadline, f"not ready: {self.server.waiting()}"
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        self.uvicorn.should_exit = True
        self.thread.join(15)
        self.server.close()
