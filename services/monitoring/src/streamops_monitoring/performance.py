"""Rolling metrics of a model version over its latest labelled predictions.

Monitoring sees what serving wrote: the score (binary: positive probability; regression:
the value; multiclass: the top class's probability), the predicted label and, once
known, the label. From those: PR-AUC, ROC-AUC, precision, recall and F1 for binary
models; accuracy and macro F1 for multiclass ones; MAE, RMSE and R² for regressors. A
metric undefined on the rows (an AUC with one class only) is left out, not guessed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
from sklearn import metrics as skm

from streamops.bootstrap import Ranked, bootstrap, quantile
from streamops.pipeline.model_spec import higher_is_better


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
    out = decision_metrics(y, hits)
    if len(y) and not np.isnan(scores).any():
        ranked = Ranked(y, scores)
        with contextlib.suppress(ValueError):  # one class only: no ranking metric
            out["pr_auc"], out["roc_auc"] = ranked.value("pr_auc"), ranked.value("roc_auc")
    return out


def decision_metrics(
    y: np.ndarray, hits: np.ndarray, weights: np.ndarray | None = None
) -> dict[str, float]:
    """Precision, recall, F1 and the error rate of ``hits`` for ``y``, rows weighted by
    ``weights`` (a bootstrap resample) if given; sklearn's figures with zero_division=0,
    counted here: they run every interval."""
    w = np.ones(len(y)) if weights is None else weights
    tp = float(w[y & hits].sum())
    fp, fn = float(w[hits].sum()) - tp, float(w[y].sum()) - tp
    total = float(w.sum())
    return {
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp else 0.0,
        "error_rate": float(w[y != hits].sum()) / total if total else 0.0,
    }


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
    is undefined on more than half of the resamples."""
    noise = likely_noise(
        task, rows, threshold, metric, resamples=resamples, confidence=confidence, seed=seed
    )
    return None if noise is None else noise[0]


def likely_noise(
    task: str,
    rows: list[list[Any]],
    threshold: float | None,
    metric: str,
    *,
    resamples: int = 100,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float] | None:
    """`likely_bound` and the standard deviation of the bootstrap it comes from (the
    window's sampling noise, for its false-alarm budget, `budget.bound_budget`)."""
    values = bootstrap(
        _statistic(task, rows, threshold, metric), len(rows), count=resamples, seed=seed
    )
    bound = quantile(values, confidence if higher_is_better(metric) else 1 - confidence)
    if bound is None:
        return None
    return bound, float(np.std(values[~np.isnan(values)]))


def _statistic(
    task: str, rows: list[list[Any]], threshold: float | None, metric: str
) -> Callable[[np.ndarray], float | None]:
    """``metric`` of ``rows`` weighted by a resample; for a binary model the arrays are
    taken and the scores sorted once (this runs every interval, 100 times)."""
    if task == "binary":
        y, hits, scores = _binary_columns(rows)
        if metric in ("pr_auc", "roc_auc"):
            if np.isnan(scores).any():  # a row without a score: no ranking metric
                return lambda _: None
            return partial(Ranked(y, scores).value, metric)
        return lambda w: decision_metrics(y, hits, w).get(metric)
    every = np.arange(len(rows))

    def value(w: np.ndarray) -> float | None:
        picked = np.repeat(every, w.astype(np.int64))
        return rolling_metrics(task, [rows[i] for i in picked], threshold).get(metric)

    return value
