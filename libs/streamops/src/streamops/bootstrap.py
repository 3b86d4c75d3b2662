"""The bootstrap that training and monitoring share, and the ranking metrics it evaluates
thousands of times.

Three figures come from it: training's gate (the candidate's paired gain over the
champion), a version's holdout metric as bad as the holdout's noise allows, and
monitoring's live metric as good as the labelled window's noise allows. The same draws
for a seed, and a bound only from a majority of defined resamples (`quantile`), so the
two services' figures are comparable; the gate counts an undefined resample as no gain.

A resample is drawn as row multiplicities (weights): the same draw then weighs two
models' rows alike, and rows sorted once stay sorted, so PR-AUC and ROC-AUC of a
resample cost a cumulative sum instead of a sort (`Ranked`).

Needs numpy (the ``drift`` extra brings it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np


def resamples(n: int, count: int, seed: int) -> Iterator[np.ndarray]:
    """``count`` bootstrap resamples of ``n`` rows, each as the rows' multiplicities."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        yield np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)


def bootstrap(
    statistic: Callable[[np.ndarray], float | None], n: int, *, count: int, seed: int
) -> np.ndarray:
    """``statistic(weights)`` on each of ``count`` resamples of ``n`` rows; NaN where it is
    undefined on a resample (it raised ValueError, e.g. an AUC on one class, or returned
    None or a value that is not finite)."""
    values = np.full(count, np.nan)
    for i, weights in enumerate(resamples(n, count, seed)):
        try:
            value = statistic(weights)
        except ValueError:
            continue
        if value is not None and np.isfinite(value):
            values[i] = value
    return values


def quantile(values: np.ndarray, q: float) -> float | None:
    """The ``q`` quantile of the defined values; None when at most half of them are
    defined (e.g. a metric on too few positives): no bound is better than a made-up one."""
    defined = values[~np.isnan(values)]
    if len(defined) <= len(values) // 2:
        return None
    return float(np.quantile(defined, q))


class Ranked:
    """A binary model's scores sorted once, so that PR-AUC and ROC-AUC under many row
    weightings cost a cumulative sum each rather than a sort; the values equal
    scikit-learn's ``average_precision_score`` and ``roc_auc_score``, ties included."""

    def __init__(self, y: np.ndarray, scores: np.ndarray) -> None:
        self._order = np.argsort(-scores, kind="stable")
        ranked = scores[self._order]
        # the last row of each run of equal scores: one threshold each
        self._ends = np.r_[np.nonzero(np.diff(ranked))[0], len(ranked) - 1]
        self._positive = (y[self._order] == 1).astype(np.float64)

    def _counts(self, weights: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        if weights is None:
            tp = np.cumsum(self._positive)[self._ends]
            fp = (self._ends + 1) - tp
        else:
            w = weights[self._order]
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
