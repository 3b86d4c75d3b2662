"""Model metrics per split, a metric's pessimistic bound, the binary decision threshold.
(Prometheus metrics of the service are `streamops_training.metrics`.)

A model's predictions are one array: the positive class's probability (binary), the
probability of each class in ``classes`` order (multiclass, ``[N, K]``), or the predicted
value (regression). Metrics at a threshold (f1) use the model's own threshold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial

import numpy as np
from sklearn import metrics as skm

from streamops.bootstrap import Ranked, bootstrap, quantile
from streamops.pipeline.model_spec import (
    HOLDOUT_LOWER,
    METRICS,
    ModelSpec,
    Task,
    ThresholdRule,
    higher_is_better,
)

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


def version_metrics(
    task: Task,
    labels: Mapping[str, np.ndarray],
    predictions: Mapping[str, np.ndarray],
    threshold: float | None,
    classes: Sequence[str],
    model: ModelSpec,
) -> dict[str, dict[str, float]]:
    """A ModelVersion's metrics: every metric of the task on each split, and the primary
    metric on the holdout as bad as the holdout's noise allows (`HOLDOUT_LOWER`, at the
    gates' confidence), what monitoring holds the live figure against."""
    metrics = {
        part: task_metrics(task, labels[part], p, threshold, classes)
        for part, p in predictions.items()
    }
    primary = model.metric_for(task)
    lower = pessimistic(
        primary,
        task,
        labels["holdout"],
        predictions["holdout"],
        threshold,
        classes,
        resamples=model.gates.bootstrap,
        confidence=model.gates.confidence,
        seed=model.seed,
    )
    if lower is not None:
        metrics[HOLDOUT_LOWER] = {primary: lower}
    return metrics


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
    statistic: Callable[[np.ndarray], float]
    if name in ("pr_auc", "roc_auc"):
        statistic = partial(Ranked(y, predictions).value, name)  # sorted once
    else:
        statistic = partial(metric, name, task, y, predictions, threshold, classes)
    values = bootstrap(statistic, len(y), count=resamples, seed=seed)
    return quantile(values, 1 - confidence if higher_is_better(name) else confidence)


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
