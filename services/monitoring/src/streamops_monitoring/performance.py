"""Rolling metrics of a model version over its latest labelled predictions.

Monitoring sees what serving wrote: the score (binary: positive probability; regression:
the value; multiclass: the top class's probability), the predicted label and, once
known, the label. From those: PR-AUC, ROC-AUC, precision, recall and F1 for binary
models; accuracy and macro F1 for multiclass ones; MAE, RMSE and R² for regressors. A
metric undefined on the rows (an AUC with one class only) is left out, not guessed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn import metrics as skm

from streamops.pipeline.model_spec import METRICS


def higher_is_better(name: str) -> bool:
    """Whether a larger value of the metric is the better one."""
    return METRICS[name][1]


def rolling_metrics(task: str, rows: list[list[Any]], threshold: float | None) -> dict[str, float]:
    """The task's metrics over ``rows`` of [score, predicted, label]."""
    if task == "regression":
        y = np.asarray([float(r[2]) for r in rows])
        p = np.asarray([float(r[0]) if r[0] is not None else np.nan for r in rows])
        ok = ~np.isnan(p)
        y, p = y[ok], p[ok]
        if len(y) == 0:
            return {}
        out = {
            "mae": float(skm.mean_absolute_error(y, p)),
            "rmse": float(skm.root_mean_squared_error(y, p)),
        }
        if len(y) > 1 and np.var(y) > 0:
            out["r2"] = float(skm.r2_score(y, p))
        return out
    if task == "multiclass":
        predicted = [str(r[1]) for r in rows]
        labels = [str(r[2]) for r in rows]
        classes = sorted(set(labels) | set(predicted))
        return {
            "accuracy": float(skm.accuracy_score(labels, predicted)),
            "macro_f1": float(
                skm.f1_score(labels, predicted, average="macro", labels=classes, zero_division=0)
            ),
        }
    return binary_metrics(*_binary_columns(rows))


def _binary_columns(rows: list[list[Any]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A binary model's rows as arrays: labels and predictions (bool), scores (NaN: none)."""
    y = np.asarray([str(r[2]) == "1" for r in rows], dtype=bool)
    hits = np.asarray([str(r[1]) == "1" for r in rows], dtype=bool)
    scores = np.asarray([r[0] if r[0] is not None else np.nan for r in rows], dtype=np.float64)
    return y, hits, scores


def binary_metrics(y: np.ndarray, hits: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """Precision, recall, F1 and the error rate of the predictions ``hits`` for the labels
    ``y``; PR-AUC and ROC-AUC of ``scores`` too when both classes are there and every row
    has a score."""
    tp = int(np.count_nonzero(y & hits))
    fp, fn = int(np.count_nonzero(hits)) - tp, int(np.count_nonzero(y)) - tp
    out = {  # sklearn's figures with zero_division=0, counted here: they run every interval
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp else 0.0,
        "error_rate": float(np.mean(y != hits)) if len(y) else 0.0,
    }
    if 0 < y.sum() < len(y) and not np.isnan(scores).any():
        out["pr_auc"], out["roc_auc"] = ranking_metrics(y, scores)
    return out


def ranking_metrics(y: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """Average precision and ROC-AUC of ``scores`` for the boolean labels ``y`` (both
    classes present), as sklearn's ``average_precision_score`` and ``roc_auc_score``
    compute them, ties included, in one sort instead of their input validation's dozens
    of passes."""
    order = np.argsort(-scores, kind="mergesort")
    ranked, hit = scores[order], y[order]
    # the last row of each run of equal scores: one threshold each
    last = np.r_[np.flatnonzero(np.diff(ranked)), len(ranked) - 1]
    tps = np.cumsum(hit)[last].astype(np.float64)
    fps = (last + 1) - tps
    positives, negatives = tps[-1], fps[-1]
    precision = tps / (tps + fps)
    recall = tps / positives
    average_precision = float(np.sum(np.diff(recall, prepend=0.0) * precision))
    tpr, fpr = np.r_[0.0, recall], np.r_[0.0, fps / negatives]
    roc_auc = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
    return average_precision, roc_auc


def likely_bound(
    task: str,
    rows: list[list[Any]],
    threshold: float | None,
    metric: str,
    *,
    resamples: int = 100,
    confidence: float = 0.95,
    seed: int = 0,
) -> float | None:
    """How good ``metric`` may still be on ``rows``, given their sampling noise: the
    ``confidence`` quantile of its bootstrap towards better (the upper one when higher is
    better). A rolling window of 10,000 labels holds ~150 frauds: its PR-AUC moves by
    several points from one window to the next with nothing changed. None if the metric
    is undefined on too many resamples."""
    rng = np.random.default_rng(seed)
    n = len(rows)
    columns = _binary_columns(rows) if task == "binary" else None
    values = []
    for _ in range(resamples):
        picked = rng.integers(0, n, n)
        if columns is not None:  # arrays taken once: this runs every interval, 100 times
            value = binary_metrics(*(c[picked] for c in columns)).get(metric)
        else:
            value = rolling_metrics(task, [rows[i] for i in picked], threshold).get(metric)
        if value is not None:
            values.append(value)
    if len(values) < resamples // 2:
        return None
    level = confidence if higher_is_better(metric) else 1 - confidence
    return float(np.quantile(values, level))
