"""The parity gate: the exported ONNX graph must answer as the fitted pipeline does.

On the holdout, ONNX Runtime's predictions may differ from scikit-learn's by at most the
tolerance (absolute; for regression relative to the value's size, floor 1), and no row
may change its decision: the side of the threshold (binary) or the top class
(multiclass). Float32 inputs and tree thresholds are where they part: a value between a
double threshold and its float32 rounding goes down the other branch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from streamops.pipeline.model_spec import Task
from streamops_training.export import run, session


@dataclass(frozen=True)
class Parity:
    """The gate's verdict, its measures, and the reason when it fails."""

    passed: bool
    max_abs_diff: float
    flips: int
    rows: int
    reason: str | None = None


def sklearn_predictions(pipeline: Pipeline, data: pd.DataFrame, task: Task) -> np.ndarray:
    """The pipeline's predictions (see `streamops_training.metrics`)."""
    if task == "regression":
        return np.asarray(pipeline.predict(data), dtype=np.float64)
    probabilities = np.asarray(pipeline.predict_proba(data), dtype=np.float64)
    return probabilities[:, 1] if task == "binary" else probabilities


def onnx_predictions(sess: Any, data: pd.DataFrame, task: Task) -> np.ndarray:
    """An ONNX model's predictions in the same form."""
    out = run(sess, data)
    if task == "regression":
        return np.asarray(out["variable"], dtype=np.float64).reshape(-1)
    probabilities = np.asarray(out["probabilities"], dtype=np.float64)
    return probabilities[:, 1] if task == "binary" else probabilities


def compare(
    expected: np.ndarray,
    actual: np.ndarray,
    task: Task,
    threshold: float | None,
    tolerance: float,
) -> Parity:
    """Compare scikit-learn's (``expected``) and ONNX's (``actual``) predictions."""
    rows = len(expected)
    if rows == 0:
        return Parity(False, 0.0, 0, 0, "no holdout rows to compare on")
    diff = np.abs(expected - actual)
    scale = np.maximum(np.abs(expected), 1.0) if task == "regression" else 1.0
    worst = float(np.max(diff / scale))
    if task == "binary":
        cut = 0.5 if threshold is None else threshold
        flips = int(np.sum((expected >= cut) != (actual >= cut)))
    elif task == "multiclass":
        flips = int(np.sum(np.argmax(expected, axis=1) != np.argmax(actual, axis=1)))
    else:
        flips = 0
    reasons = []
    if not worst <= tolerance:  # NaN fails too
        reasons.append(f"ONNX and scikit-learn differ by up to {worst:.3g} > {tolerance:g}")
    if flips:
        at = f"at the threshold {threshold:g}" if task == "binary" else "in the top class"
        reasons.append(f"{flips} of {rows} holdout rows change their decision {at}")
    return Parity(not reasons, worst, flips, rows, "; ".join(reasons) or None)


def check_parity(
    pipeline: Pipeline,
    onnx_bytes: bytes,
    data: pd.DataFrame,
    task: Task,
    threshold: float | None,
    tolerance: float,
) -> tuple[Parity, np.ndarray, np.ndarray]:
    """The gate on ``data``, with both predictions (scikit-learn's, ONNX's)."""
    expected = sklearn_predictions(pipeline, data, task)
    actual = onnx_predictions(session(onnx_bytes), data, task)
    return compare(expected, actual, task, threshold, tolerance), expected, actual
