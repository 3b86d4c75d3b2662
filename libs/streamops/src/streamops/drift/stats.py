"""Drift statistics on binned counts, vectorised over the last axis.

Every statistic compares live counts (``observed``: one row of bin counts, or many rows,
e.g. samples drawn for calibration) with the reference's bin probabilities (``expected``).
Counting on the reference's bins is what makes them computable from per-partition
partials: bin counts add up, raw values would have to travel.

- ``psi``: population stability index, sum (o - e) ln(o / e) of the two shares, each
  floored at 1e-4 so an empty bin weighs as a rare one, not an infinite one (Evidently's
  convention);
- ``ks``: the largest gap between the two distribution functions at the bin edges (the
  Kolmogorov-Smirnov statistic, resolved to the bins);
- ``wasserstein``: the earth mover's distance between the bin masses placed on the bins'
  representative points, over the reference's standard deviation (Evidently's
  normalisation), so one threshold fits every scale;
- ``jensenshannon``: the Jensen-Shannon distance, base 2, in [0, 1];
- ``chi2``: Pearson's goodness-of-fit p-value of the counts against the reference shares.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.spatial.distance import jensenshannon as _js
from scipy.stats import chi2 as _chi2

from streamops.pipeline.drift_spec import P_VALUE_TESTS

FLOOR = 1e-4
Array = np.ndarray


def _shares(observed: Array) -> Array:
    observed = np.asarray(observed, dtype=np.float64)
    total = observed.sum(axis=-1, keepdims=True)
    return np.asarray(np.divide(observed, total, out=np.zeros_like(observed), where=total > 0))


def psi(observed: Array, expected: Array, points: Array | None = None, scale: float = 1) -> Array:
    o = np.maximum(_shares(observed), FLOOR)
    e = np.maximum(np.asarray(expected, dtype=np.float64), FLOOR)
    return np.asarray(((o - e) * np.log(o / e)).sum(axis=-1))


def ks(observed: Array, expected: Array, points: Array | None = None, scale: float = 1) -> Array:
    gap = np.cumsum(_shares(observed), axis=-1) - np.cumsum(expected, axis=-1)
    return np.asarray(np.abs(gap).max(axis=-1))


def wasserstein(
    observed: Array, expected: Array, points: Array | None = None, scale: float = 1
) -> Array:
    if points is None:
        raise ValueError("wasserstein needs the bins' representative points")
    gap = np.abs(np.cumsum(_shares(observed), axis=-1) - np.cumsum(expected, axis=-1))
    widths = np.diff(np.asarray(points, dtype=np.float64))
    distance = (gap[..., :-1] * widths).sum(axis=-1)
    return np.asarray(distance / scale if scale > 0 else distance)


def jensenshannon(
    observed: Array, expected: Array, points: Array | None = None, scale: float = 1
) -> Array:
    o = _shares(observed)
    e = np.broadcast_to(np.asarray(expected, dtype=np.float64), o.shape)
    return np.asarray(np.nan_to_num(_js(o, e, base=2, axis=-1)))


def chi2(observed: Array, expected: Array, points: Array | None = None, scale: float = 1) -> Array:
    observed = np.asarray(observed, dtype=np.float64)
    n = observed.sum(axis=-1, keepdims=True)
    shares = np.maximum(np.asarray(expected, dtype=np.float64), FLOOR)
    shares = shares / shares.sum()
    wanted = n * shares
    statistic = ((observed - wanted) ** 2 / np.where(wanted > 0, wanted, 1)).sum(axis=-1)
    return np.asarray(_chi2.sf(statistic, max(observed.shape[-1] - 1, 1)))


Statistic = Callable[..., Array]
STATISTICS: dict[str, Statistic] = {
    "psi": psi,
    "ks": ks,
    "wasserstein": wasserstein,
    "jensenshannon": jensenshannon,
    "chi2": chi2,
}


def drifted(test: str, value: float | Array, threshold: float) -> bool | Array:
    """Whether ``value`` of ``test`` is beyond ``threshold`` (p-values: below it)."""
    if test in P_VALUE_TESTS:
        return value < threshold
    return value > threshold
