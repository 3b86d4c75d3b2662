"""Serving fuzzed from its own OpenAPI document (schemathesis) with a valid token, against a
server of the session's pipeline: no answer is a 5xx, every answer fits the document, and
the REST route's positive cases are mostly answered (a fuzz that only meets 4xx proves
little).

Derandomised and bounded (`EXAMPLES`). V2 infer bodies are only partly described by a
document (tensor names, shapes and data must agree with the model), so its positive cases
are held to every check but "positive data is accepted".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.integration.serving.conftest import Served
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
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": [400, 401, 403, 404, 405, 406, 409, 413, 415, 422]
            }
        }
    }
)


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
    statuses: Counter[int] = Counter()
    excluded = [positive_data_acceptance] if path == INFER else []

    @settings(
        max_examples=EXAMPLES[method, path, mode],
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case: schemathesis.Case[Any]) -> None:
        response = case.call(base_url=server.url, headers=AUTH, timeout=30)
        statuses[response.status_code] += 1
        case.validate_response(response, headers=AUTH, excluded_checks=excluded)

    fuzz()
    calls = sum(statuses.values())
    accepted = sum(n for code, n in statuses.items() if 200 <= code < 300) / calls
    print(f"{method} {path} {mode.value}: {calls} calls, {dict(statuses)}, 2xx {accepted:.0%}")
    assert not [code for code in statuses if code >= 500]
    if path == PREDICT and mode == GenerationMode.POSITIVE:
        assert accepted >= MIN_ACCEPTED, statuses
