"""Serving benchmark: streamops serving against MLServer 1.7, same models, same load.

Two models fitted as training fits them (`models`: a 100-tree depth-10 random forest and
a logistic regression over the fraud features). Each server in `contenders` serves each
model in turn, alone on core 0, while oha (core 1) measures saturation throughput, the
server's CPU per request and the latency at an open-loop 1,000 req/s (`measure`). Every
server gets the same one-row V2 request at ``/v2/models/{rf|lr}/infer`` and must answer
that row's score first. Peers: MLServer with its scikit-learn runtime on the joblib
pipeline (what users pick), and MLServer with a minimal runtime on the same ONNX graph
(the server's own overhead); both in their own venv (`mlserver_peers`). And streamops
serving's own app under granian instead of uvicorn (`granian_entry`, ``streamops-granian``):
the HTTP server serving runs is chosen by this measurement (docs/benchmarks.md).

A contender is a function ``(model, directory) -> ServerUnderTest`` (`server`): a command
that serves the model under ``/v2/models/{model.key}/infer``, its readiness URL, its
inference URL. streamops serving joins as one more entry, named ``"streamops"``, and the
report's ratio columns and targets fill in. Issue targets (random forest): >= 3,000
req/s on one process, >= 20x MLServer-sklearn, >= 2x MLServer-ONNX, server CPU <= 0.3
ms/request, p99 <= 5 ms at 1,000 req/s.

Knobs: ``BENCH_SERVING_MODELS`` (rf,lr), ``BENCH_SERVING_RUNS`` (3),
``BENCH_SERVING_SECONDS`` (8). `make bench` runs it; figures go to docs/benchmarks.md
and var/bench/serving.json.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from streamops.pipeline import Pipeline
from tests.benchmarks.serving.measure import Figures, Plan, measure
from tests.benchmarks.serving.mlserver_peers import ensure_venv, onnx_peer, sklearn_peer
from tests.benchmarks.serving.models import ALGORITHMS, ServedModel, fit_models
from tests.benchmarks.serving.oha import ensure_oha
from tests.benchmarks.serving.report import print_report, write_json
from tests.benchmarks.serving.server import ServerUnderTest
from tests.benchmarks.serving.streamops_entry import prepare, streamops_server
from tests.support.kafka import delete_pipeline_topics
from tests.support.pipelines import private_pipeline

REPO = Path(__file__).resolve().parents[3]
RESULTS = REPO / "var" / "bench" / "serving.json"
MODELS = os.environ.get("BENCH_SERVING_MODELS", ",".join(ALGORITHMS)).split(",")
PLAN = Plan(
    runs=int(os.environ.get("BENCH_SERVING_RUNS", "3")),
    seconds=float(os.environ.get("BENCH_SERVING_SECONDS", "8")),
)

Contender = Callable[[ServedModel, Path], ServerUnderTest]


def contenders(pipeline: Pipeline, kafka: str, registry: str) -> list[Contender]:
    """The servers measured, each a ``(model, directory) -> ServerUnderTest``."""
    python = ensure_venv()
    return [
        functools.partial(streamops_server, pipeline, kafka, registry),
        # the same server under granian: the HTTP server serving keeps, measured
        functools.partial(streamops_server, pipeline, kafka, registry, http_server="granian"),
        functools.partial(sklearn_peer, python),
        functools.partial(onnx_peer, python),
    ]


@pytest.mark.timeout(3600)  # a fresh machine builds oha first (minutes)
def test_serving_throughput(tmp_path: Path, kafka: str, schema_registry: str) -> None:
    assert set(MODELS) <= set(ALGORITHMS), f"BENCH_SERVING_MODELS: of {list(ALGORITHMS)}"
    ensure_oha()
    pipeline = private_pipeline(tmp_path, "bsrv")
    prepare(pipeline, kafka)
    servers = contenders(pipeline, kafka, schema_registry)
    models = [m for m in fit_models(tmp_path / "models") if m.key in MODELS]
    load_before = os.getloadavg()[0]
    results: list[Figures] = []
    try:
        for model in models:
            body = tmp_path / f"{model.key}-request.json"
            body.write_bytes(model.body)
            for make in servers:
                server = make(model, tmp_path / "servers")
                results.append(measure(server, model, body, PLAN))
    finally:
        delete_pipeline_topics(AdminClient({"bootstrap.servers": kafka}), pipeline.name)
    print_report(models, results, PLAN, (load_before, os.getloadavg()[0]))
    write_json(RESULTS, results, PLAN)
