"""Predict latency of a trained model: ONNX Runtime against the fitted scikit-learn pipeline.

Both answer the same rows, one thread each (`streamops_training.export.session` is what
serving loads; scikit-learn under ``threadpool_limits(1)``), on inputs prepared beforehand
in the form each takes: the graph's per-feature float32 / string tensors, a pandas frame
of the feature columns. Calls alternate between the two so that a busy moment of the
machine hits both alike.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import onnxruntime as ort
import pandas as pd
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from streamops_training.export import feeds, session
from streamops_training.parity import onnx_predictions, sklearn_predictions

#: Rows per call, and (the most calls, the seconds) spent on each size per model.
SHAPES = {1: (2_000, 6.0), 1_000: (300, 6.0)}
MIN_CALLS = 100


@dataclass(frozen=True)
class Latency:
    """Seconds per call, median and p99, of each runtime at one batch size."""

    rows: int
    calls: int
    onnx: tuple[float, float]
    sklearn: tuple[float, float]


def predict_latency(onnx_bytes: bytes, fitted: Pipeline, rows: pd.DataFrame) -> list[Latency]:
    """Latency at each of `SHAPES` on the first rows of ``rows`` (at least 1,000 of them);
    the two runtimes' scores on the 1,000 rows are checked to agree first."""
    sess = session(onnx_bytes)
    features = [i.name for i in sess.get_inputs()]
    batch = rows[features].iloc[:1_000].reset_index(drop=True)
    assert len(batch) == 1_000, "a 1,000-row batch"
    with threadpool_limits(limits=1):
        expected = sklearn_predictions(fitted, batch, "binary")
        assert np.max(np.abs(expected - onnx_predictions(sess, batch, "binary"))) <= 1e-4
        return [
            _measure(sess, fitted, batch.iloc[:n], most, seconds)
            for n, (most, seconds) in SHAPES.items()
        ]


def _measure(
    sess: ort.InferenceSession, fitted: Pipeline, frame: pd.DataFrame, most: int, seconds: float
) -> Latency:
    run, outputs, tensors = sess.run, ["probabilities"], feeds(sess, frame)
    for _ in range(10):  # warm-up: first calls allocate
        run(outputs, tensors)
        fitted.predict_proba(frame)
    onnx: list[float] = []
    sklearn: list[float] = []
    deadline = time.perf_counter() + seconds
    while len(onnx) < most and (len(onnx) < MIN_CALLS or time.perf_counter() < deadline):
        start = time.perf_counter()
        run(outputs, tensors)
        middle = time.perf_counter()
        fitted.predict_proba(frame)
        sklearn.append(time.perf_counter() - middle)
        onnx.append(middle - start)
    return Latency(len(frame), len(onnx), _quantiles(onnx), _quantiles(sklearn))


def _quantiles(values: list[float]) -> tuple[float, float]:
    q = np.quantile(np.asarray(values), [0.5, 0.99])
    return float(q[0]), float(q[1])
