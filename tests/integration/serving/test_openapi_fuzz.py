"""Serving fuzzed from its own OpenAPI document (schemathesis) with a valid token, against a
server of the session's pipeline: no answer is a 5xx, every answer fits the document, and
the REST route's positive cases are mostly answered (a fuzz that only meets 4xx proves
little).

Derandomised and bounded (`EXAMPLES`). Positive cases are held to every check but
"positive data is accepted": a V2 body is only partly described by a document (tensor
names, shapes and data must agree with the model), and a schema-valid event can still be
one the model cannot score (an amount beyond float32 makes a logistic regression's answer
NaN: a 422 naming it). Instead, at least `MIN_ACCEPTED` of the REST route's positive cases
must be answered 2xx.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.integration.serving.conftest import Served
from tests.support.fuzz import CONFIG, fuzz_operation
from tests.support.serving import InProcessServer

TOKEN = "serving-fuzz-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PREDICT = "/v1/pipelines/{pipeline}/predict"
INFER = "/v2/models/{name}/infer"
EXAMPLES = {
    ("POST", PREDICT, GenerationMode.POSITIVE): 150,
    ("POST", PREDICT, GenerationMode.NEGATIVE): 100,
    ("POST", INFER, GenerationMode.POSITIVE): 60,
    ("POST", INFER, GenerationMode.NEGATIVE): 60,
    ("GET", "/v2/models/{name}", GenerationMode.POSITIVE): 3,
    ("GET", "/v2/health/ready", GenerationMode.POSITIVE): 3,
}
#: The least share of 2xx answers to the REST route's positive cases.
MIN_ACCEPTED = 0.8


@pytest.fixture(scope="module")
def guarded(served: Served) -> Iterator[tuple[InProcessServer, schemathesis.BaseSchema]]:
    server = InProcessServer(
        served.pipeline,
        served.kafka,
        served.schema_registry,
        mode="http",
        prediction_buffer=0,
        predict_token=TOKEN,
    ).start()
    try:
        yield server, schemathesis.openapi.from_url(f"{server.url}/openapi.json", config=CONFIG)
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("method", "path", "mode"),
    list(EXAMPLES),
    ids=[f"{m} {p} {g.value}" for m, p, g in EXAMPLES],
)
def test_no_answer_is_a_server_error_and_every_answer_fits_the_document(
    served: Served,
    guarded: tuple[InProcessServer, schemathesis.BaseSchema],
    method: str,
    path: str,
    mode: GenerationMode,
) -> None:
    server, schema = guarded
    path_in_document = path.replace("{pipeline}", served.pipeline.name)
    operation = schema[path_in_document][method]
    excluded = [positive_data_acceptance]  # held to MIN_ACCEPTED below instead
    statuses = fuzz_operation(
        operation, server.url, AUTH, EXAMPLES[method, path, mode], mode, excluded
    )
    calls = sum(statuses.values())
    accepted = sum(n for code, n in statuses.items() if 200 <= code < 300) / calls
    print(f"{method} {path} {mode.value}: {calls} calls, {dict(statuses)}, 2xx {accepted:.0%}")
    assert not [code for code in statuses if code >= 500]
    if path == PREDICT and mode == GenerationMode.POSITIVE:
        assert accepted >= MIN_ACCEPTED, statuses
