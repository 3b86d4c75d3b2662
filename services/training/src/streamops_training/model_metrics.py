"""Model metrics per split, the binary decision threshold, fast ranking metrics for the
bootstrap. (Prometheus metrics of the service are `streamops_training.metrics`.)

A model's predictions are one array: the positive class's probability (binary), the
probability of each class in ``classes`` order (multiclass, ``[N, K]``), or the predicted
value (regression). Metrics at a threshold (f1) use the model's own threshold.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn import metrics as skm

from streamops.pipeline.model_spec import METRICS, Task, ThresholdRule

_EPS = 1e-15


def metric(
    name: str,
    task: Task,
    y: np.ndarray,
    predictions: np.ndarray,
    threshold: float | None = None,
    classes: Sequence[str] = (),
    weights: np.ndarray | None = None,
) -> float:
    """One metric (`streamops.pipeline.model_spec.METRICS`) of predictions against labels."""
    w = weights
    if name in ("pr_auc", "roc_auc"):
        present = y if w is None else y[w > 0]
        if len(np.unique(present)) < 2:
            raise ValueError(f"{name} needs both classes among the rows")
    if name == "pr_auc":
        return float(skm.average_precision_score(y, predictions, sample_weight=w))
    if name == "roc_auc":
        return float(skm.roc_auc_score(y, predictions, sample_weight=w))
    if name == "f1":
        chosen = 0.5 if threshold is None else threshold
        return float(skm.f1_score(y, predictions >= chosen, sample_weight=w, zero_division=0))
    if name == "log_loss":
        if task == "binary":
            p = np.clip(predictions, _EPS, 1 - _EPS)
            return float(
                skm.log_loss(y, np.column_stack([1 - p, p]), sample_weight=w, labels=[0, 1])
            )
        # float32 probabilities (ONNX's) sum to one only within rounding
        p = predictions / predictions.sum(axis=1, keepdims=True)
        return float(skm.log_loss(y, p, sample_weight=w, labels=list(classes)))
    if name in ("macro_f1", "accuracy"):
        predicted = np.asarray(classes, dtype=object)[np.argmax(predictions, axis=1)]
        if name == "accuracy":
            return float(skm.accuracy_score(y, predicted, sample_weight=w))
        return float(
            skm.f1_score(
                y,
                predicted,
                average="macro",
                labels=list(classes),
                sample_weight=w,
                zero_division=0,
            )
        )
    if name == "mae":
        return float(skm.mean_absolute_error(y, predictions, sample_weight=w))
    if name == "rmse":
        return float(skm.root_mean_squared_error(y, predictions, sample_weight=w))
    if name == "r2":
        return float(skm.r2_score(y, predictions, sample_weight=w))
    raise ValueError(f"unknown metric {name!r}")


def task_metrics(
    task: Task,
    y: np.ndarray,
    predictions: np.ndarray,
    threshold: float | None = None,
    classes: Sequence[str] = (),
) -> dict[str, float]:
    """Every metric of the task, by name; one that is undefined here (e.g. AUC on a split
    with a single class) is left out rather than guessed."""
    out = {}
    for name, (tasks, _) in METRICS.items():
        if task in tasks:
            try:
                value = metric(name, task, y, predictions, threshold, classes)
            except ValueError:
                continue
            if np.isfinite(value):
                out[name] = value
    return out


def pessimistic(
    name: str,
    task: Task,
    y: np.ndarray,
    predictions: np.ndarray,
    threshold: float | None,
    classes: Sequence[str],
    *,
    resamples: int,
    confidence: float,
    seed: int,
) -> float | None:
    """The metric as bad as the rows' sampling noise allows: the ``1 - confidence``
    quantile of its bootstrap towards worse (the lower one when higher is better). None
    when it is undefined on more than half of the resamples (e.g. too few positives)."""
    ranked = Ranked(y, predictions) if name in ("pr_auc", "roc_auc") else None
    rng = np.random.default_rng(seed)
    n = len(y)
    values = []
    for _ in range(resamples):
        weights = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
        try:
            if ranked is not None:  # sorted once, not once per resample
                value = ranked.value(name, weights)
            else:
                value = metric(name, task, y, predictions, threshold, classes, weights)
        except ValueError:  # a resample without one of the classes
            continue
        if np.isfinite(value):
            values.append(value)
    if len(values) <= resamples // 2:
        return None
    level = 1 - confidence if higher_is_better(name) else confidence
    return float(np.quantile(values, level))


def higher_is_better(name: str) -> bool:
    """Whether a larger value of the metric is the better one."""
    return METRICS[name][1]


def choose_threshold(y: np.ndarray, scores: np.ndarray, rule: ThresholdRule) -> float:
    """The binary threshold by the rule, placed halfway between two distinct scores.

    ``max_f1``: the F1-best threshold; ``target_precision``: the lowest threshold whose
    precision reaches the target (the F1-best one if none does). Halfway, because a
    threshold equal to a score would decide that score's rows by float rounding, and a
    tree model gives many rows the very same score.
    """
    order = np.argsort(-scores, kind="stable")
    s, t = scores[order], y[order].astype(np.float64)
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]  # the last row of each score value
    tp = np.cumsum(t)[last]
    predicted = last + 1.0
    positives = max(t.sum(), 1.0)
    precision = tp / predicted
    f1 = 2 * tp / (predicted + positives)
    pick = int(np.argmax(f1))
    if rule.rule == "target_precision" and rule.precision is not None:
        reaching = np.nonzero(precision >= rule.precision)[0]
        if len(reaching):
            pick = int(reaching[-1])
    upper = s[last[pick]]
    lower = s[last[pick + 1]] if pick + 1 < len(last) else upper - 1e-6
    return float((upper + lower) / 2)


class Ranked:
    """A binary model's scores sorted once, so that PR-AUC and ROC-AUC under many row
    weightings (bootstrap resamples) cost a cumulative sum each rather than a sort; the
    values equal scikit-learn's ``average_precision_score`` and ``roc_auc_score``."""

    def __init__(self, y: np.ndarray, scores: np.ndarray) -> None:
        self._order = np.argsort(-scores, kind="stable")
        ranked = scores[self._order]
        self._ends = np.r_[np.nonzero(np.diff(ranked))[0], len(ranked) - 1]
        self._positive = (y[self._order] == 1).astype(np.float64)

    def _counts(self, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        w = np.ones(len(self._order)) if weights is None else weights[self._order]
        tp = np.cumsum(w * self._positive)[self._ends]
        fp = np.cumsum(w * (1 - self._positive))[self._ends]
        if tp[-1] <= 0 or fp[-1] <= 0:
            raise ValueError("both classes are needed among the rows")
        return tp, fp

    def value(self, name: str, weights: np.ndarray | None = None) -> float:
        """``pr_auc`` or ``roc_auc`` with rows weighted by ``weights``."""
        tp, fp = self._counts(weights)
        if name == "pr_auc":
            predicted = tp + fp
            precision = np.divide(tp, predicted, out=np.ones_like(tp), where=predicted > 0)
            return float(np.sum(np.diff(np.r_[0.0, tp / tp[-1]]) * precision))
        if name == "roc_auc":
            return float(np.trapezoid(np.r_[0.0, tp / tp[-1]], np.r_[0.0, fp / fp[-1]]))
        raise ValueError(f"{name} is not a ranking metric")
