"""Stream scoring's transform in process: a batch of features rows through `Scorer.answer`,
and the per-record costs beside it, without Kafka.

``python -m tests.benchmarks.scoring_core [--rows 5000] [--repeats 21]`` fits the serving
benchmark's random forest (`tests.benchmarks.serving.models`: 100 trees, depth 10, 34
features, training's `to_onnx`), scores ``--rows`` rows drawn around its request row (one
in ten with a null) as one batch, and prints medians in ms of:

- ``Scorer.answer``: columns, the model run, the ids and the Prediction dicts;
- ``_columns`` and ``OnnxRuntime.predict`` alone;
- the rows' prediction ids one by one (`prediction_id`) and as a batch (`prediction_ids`);
- their event-to-prediction latencies observed one by one (prometheus_client's
  `Histogram`) and as a batch (`BatchHistogram`).

Run it at two commits to compare; figures go to docs/benchmarks.md ("Stream scoring").
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import orjson
from prometheus_client import CollectorRegistry, Histogram

from streamops.contracts.ids import prediction_id, prediction_ids
from streamops_serving.lineup import Deployed
from streamops_serving.metrics import BatchHistogram
from streamops_serving.runtime.onnx import OnnxRuntime
from streamops_serving.scoring import EventRef, Scorer, _columns
from tests.benchmarks.serving.models import fit_models
from tests.unit.registry.records import version as version_record

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


def _median_ms(work: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        [model] = [m for m in fit_models(Path(directory)) if m.key == "rf"]
        artifact = model.onnx_path.read_bytes()
    runtime = OnnxRuntime("BINARY_CLASSIFICATION")
    runtime.load(artifact)
    request = orjson.loads(model.body)
    base = {i["name"]: i["data"][0] for i in request["inputs"]}
    rng = random.Random(1)
    rows = []
    for n in range(args.rows):
        row = {k: v * rng.uniform(0.5, 1.5) if type(v) is float else v for k, v in base.items()}
        if n % 10 == 0:
            row[model.numeric[0]] = None
        rows.append(row)
    start_ms = 1_767_225_600_000
    refs = [
        EventRef(f"tx-{n:016x}", f"card-{n % 500}", start_ms + n, {"partition": 0, "offset": n})
        for n in range(args.rows)
    ]
    scorer = Scorer("bench")
    deployed = Deployed({**version_record(1, "rf"), "decision_threshold": 0.5}, runtime, 0.0)  # type: ignore[typeddict-item]
    scorer.lineup = dataclasses.replace(scorer.lineup, champion=deployed)
    names = [i.name for i in runtime.inputs]
    columns = _columns(rows, names)
    events = [ref.event_id for ref in refs]
    latencies = np.array([rng.uniform(0.001, 2.0) for _ in range(args.rows)])
    one_by_one = Histogram("a_seconds", "a", ["pipeline"], buckets=BUCKETS,
                           registry=CollectorRegistry()).labels("bench")  # fmt: skip
    batch = BatchHistogram("b_seconds", "b", {"pipeline": "bench"}, BUCKETS, CollectorRegistry())

    def observe_each() -> None:
        for value in latencies.tolist():
            one_by_one.observe(value)

    figures = {
        "Scorer.answer": lambda: scorer.answer(rows, refs, "STREAM"),
        "_columns": lambda: _columns(rows, names),
        "OnnxRuntime.predict": lambda: runtime.predict(columns),
        "prediction_id, one by one": lambda: [
            prediction_id("bench", e, "rf", 1, "CHAMPION") for e in events
        ],
        "prediction_ids, the batch": lambda: prediction_ids("bench", events, "rf", 1, "CHAMPION"),
        "Histogram.observe, one by one": observe_each,
        "BatchHistogram.observe_many": lambda: batch.observe_many(latencies),
    }
    print(f"{args.rows:,} rows, median of {args.repeats} (ms):")
    for name, work in figures.items():
        print(f"  {name:<32} {_median_ms(work, args.repeats):8.2f}")


if __name__ == "__main__":
    main()
