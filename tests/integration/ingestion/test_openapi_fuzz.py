"""The ingestion API fuzzed from its own OpenAPI document (schemathesis), against the real
service process, broker and registry: no answer is a 5xx, and every answer fits the document.

Derandomised and bounded (`EXAMPLES`), so it runs the same requests every time in well under
a minute. Positive cases are bodies the document allows (most are written to Kafka),
negative ones break it on purpose (wrong types, unknown fields, other pipelines ...).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from confluent_kafka.admin import AdminClient
from schemathesis import GenerationMode

from tests.integration.ingestion.support import SALT, start_service, wait_ready
from tests.support.fuzz import CONFIG, fuzz_operation
from tests.support.kafka import delete_pipeline_topics, free_port
from tests.support.pipelines import private_pipeline

TOKEN = "fuzz-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EVENTS = "/v1/pipelines/{pipeline}/events"
BATCH = "/v1/pipelines/{pipeline}/events:batch"
# examples per (operation, mode); the GETs take no input, a few calls say enough
EXAMPLES = {
    ("POST", EVENTS, GenerationMode.POSITIVE): 200,
    ("POST", EVENTS, GenerationMode.NEGATIVE): 150,
    ("POST", BATCH, GenerationMode.POSITIVE): 100,
    ("POST", BATCH, GenerationMode.NEGATIVE): 100,
    ("GET", "/healthz", GenerationMode.POSITIVE): 3,
    ("GET", "/readyz", GenerationMode.POSITIVE): 3,
    ("GET", "/metrics", GenerationMode.POSITIVE): 3,
    ("GET", "/openapi.json", GenerationMode.POSITIVE): 3,
}


@dataclass(frozen=True)
class Fuzzed:
    """The running service, the document it serves, and where to reach it."""

    url: str
    schema: schemathesis.BaseSchema
    log: Path


@pytest.fixture(scope="module")
def fuzzed(
    tmp_path_factory: pytest.TempPathFactory, kafka: str, schema_registry: str
) -> Iterator[Fuzzed]:
    """One ingestion process of a private pipeline, with a bearer token; stopped with SIGTERM
    (it must exit 0) and its topics deleted afterwards."""
    directory = tmp_path_factory.mktemp("fuzz")
    pipeline = private_pipeline(directory, prefix="fuzz")
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STREAMOPS_")},
        "STREAMOPS_KAFKA_BOOTSTRAP_SERVERS": kafka,
        "STREAMOPS_SCHEMA_REGISTRY_URL": schema_registry,
        "STREAMOPS_PII_SALT": SALT,
        "STREAMOPS_INGESTION_TOPIC_PARTITIONS": "1",
        "STREAMOPS_INGESTION_HEALTH_HOST": "127.0.0.1",
        "STREAMOPS_INGESTION_HEALTH_PORT": str(port),
        "STREAMOPS_INGESTION_API_TOKEN": TOKEN,
        "STREAMOPS_LOG_LEVEL": "WARNING",
    }
    log = directory / "ingestion.log"
    process = start_service(pipeline.file, env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(process, url, log)
        schema = schemathesis.openapi.from_url(f"{url}/openapi.json", config=CONFIG)
        yield Fuzzed(url, schema, log)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        delete_pipeline_topics(AdminClient({"bootstrap.servers": kafka}), pipeline.name)


@pytest.mark.parametrize(
    ("method", "path", "mode"),
    list(EXAMPLES),
    ids=[f"{m} {p} {g.value}" for m, p, g in EXAMPLES],
)
def test_no_answer_is_a_server_error_and_every_answer_fits_the_document(
    fuzzed: Fuzzed, method: str, path: str, mode: GenerationMode
) -> None:
    operation = fuzzed.schema[path][method]
    statuses = fuzz_operation(operation, fuzzed.url, AUTH, EXAMPLES[method, path, mode], mode)
    print(f"{method} {path} {mode.value}: {sum(statuses.values())} calls, {dict(statuses)}")
    assert sum(statuses.values()) > 0
    assert not [code for code in statuses if code >= 500]
    assert "Traceback" not in fuzzed.log.read_text()
