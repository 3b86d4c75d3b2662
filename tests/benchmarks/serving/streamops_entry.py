"""streamops serving as a contender of the serving benchmark.

The model is published to a private copy of the fraud pipeline's registry topics and
promoted, as training does, and `streamops run serving` loads it from there (the only way
it loads models). No features service runs: the benchmark sends the model's features, so
the online view only needs its (empty) changelog. Stream scoring is off (``MODE=http``);
every answer is still written to ``{p}.predictions``, which the peers do not do.
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

from confluent_kafka.admin import AdminClient

from streamops.features import STORE
from streamops.pipeline import Pipeline
from streamops.registry import ModelRegistry, RegistryPublisher, decide
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.topics import TopicNames, changelog_topic, ensure_topics
from streamops_training.export import signature
from tests.benchmarks.serving.models import ServedModel
from tests.benchmarks.serving.server import ServerUnderTest
from tests.support.kafka import free_port
from tests.support.pipelines import REPO, STREAMOPS, create_topics
from tests.unit.registry.records import version as version_record


def prepare(pipeline: Pipeline, kafka: str) -> None:
    """The pipeline's topics and the features stage's changelog, empty."""
    create_topics(kafka, pipeline)
    stage = TopicNames(pipeline.name).stage("features")
    admin = AdminClient({"bootstrap.servers": kafka})
    assert ensure_topics(admin, [changelog_topic(stage, STORE, 3)]).ok


def publish(pipeline: Pipeline, kafka: str, registry: str, model: ServedModel) -> None:
    """``model`` as version 1 of a model named ``model.key``, promoted (once: a second
    contender serving the same model finds it so)."""
    k, r = KafkaSettings(bootstrap_servers=kafka), SchemaRegistrySettings(url=registry)
    onnx = model.onnx_path.read_bytes()
    record = {
        **version_record(1, model.key),
        "pipeline": pipeline.name,
        "task": "BINARY_CLASSIFICATION",
        "feature_names": list(model.features),
        "decision_threshold": 0.5,
        "signature": signature(onnx),
        "onnx_sha256": "",
        "run_id": None,
    }
    with (
        RegistryPublisher(pipeline.name, k, r) as publisher,
        ModelRegistry(pipeline.name, k, r) as reader,
    ):
        reader.refresh()
        if model.key in reader.model_names and reader.model(model.key).champion == 1:
            return
        publisher.publish_version(record, onnx)  # type: ignore[arg-type]
        state = reader.wait_for_version(model.key, 1, 30)
        promote = decide(
            state,
            "PROMOTE",
            1,
            actor="benchmark",
            reason="the benchmark's model",
            decided_at=datetime.datetime.now(datetime.UTC),
        )
        publisher.record_deployment(promote)


def streamops_server(
    pipeline: Pipeline,
    kafka: str,
    registry: str,
    model: ServedModel,
    directory: Path,
    http_server: str = "uvicorn",
) -> ServerUnderTest:
    """`streamops run serving` of ``pipeline`` serving ``model`` on a free port; with
    ``http_server="granian"`` the same server under granian (`granian_entry`), named
    ``streamops-granian``."""
    publish(pipeline, kafka, registry, model)
    port = free_port()
    command = [str(STREAMOPS), "run", "serving", "--pipeline", str(pipeline.file)]
    if http_server == "granian":
        command = [sys.executable, "-m", "tests.benchmarks.serving.granian_entry"]
        command.append(str(pipeline.file))
    elif http_server != "uvicorn":
        raise ValueError(f"http_server: uvicorn or granian, not {http_server!r}")
    return ServerUnderTest(
        name="streamops" if http_server == "uvicorn" else f"streamops-{http_server}",
        command=command,
        url=f"http://127.0.0.1:{port}/v2/models/{model.key}/infer",
        ready_url=f"http://127.0.0.1:{port}/v2/health/ready",
        cwd=directory,
        env={
            "PYTHONPATH": str(REPO),
            "STREAMOPS_KAFKA_BOOTSTRAP_SERVERS": kafka,
            "STREAMOPS_SCHEMA_REGISTRY_URL": registry,
            "STREAMOPS_SERVING_HEALTH_HOST": "127.0.0.1",
            "STREAMOPS_SERVING_HEALTH_PORT": str(port),
            "STREAMOPS_SERVING_MODE": "http",
            "STREAMOPS_SERVING_MODEL_NAME": model.key,
            "STREAMOPS_PII_SALT": "benchmark-salt",
            "STREAMOPS_LOG_LEVEL": "WARNING",
        },
    )
