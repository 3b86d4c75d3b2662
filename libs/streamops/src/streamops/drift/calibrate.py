"""How often a test would cross its threshold when nothing drifts, calibrated on the reference.

Alibi Detect calibrates online detectors to an expected run time between false alarms;
here the unit is the window. For a window of ``n`` records, `NullModel` draws ``draws``
windows from the reference's own bin shares (what stable traffic looks like), computes
the statistic on each, and fits a gamma distribution to them by moments. Its tail gives
the chance that one window crosses a threshold by luck, far into the tail where the
draws alone would need millions of samples; p-value tests need no fit, their p-values
being uniform under the null.

`corrected` is the correction for testing many features in one window: with ``m``
features and a budget of one false alarm per ``budget`` windows for the whole set, each
feature may cross by luck once in ``m * budget`` windows (Bonferroni), so a threshold the
reference would cross more often is raised to where it would not.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy.stats import gamma

from streamops.drift.binning import Binning
from streamops.drift.stats import STATISTICS
from streamops.pipeline.drift_spec import P_VALUE_TESTS

DRAWS = 2000


@dataclass(frozen=True)
class NullModel:
    """The statistic's distribution for windows of ``n`` reference records."""

    test: str
    shape: float
    scale: float

    def exceedance(self, threshold: float) -> float:
        """The chance that one window of stable traffic is beyond ``threshold``."""
        if self.test in P_VALUE_TESTS:
            return float(min(max(threshold, 0.0), 1.0))
        if self.scale <= 0:
            return 0.0
        return _sf(threshold, self.shape, self.scale)

    def quantile(self, tail: float) -> float:
        """The threshold crossed by luck in a share ``tail`` of stable windows."""
        if self.test in P_VALUE_TESTS:
            return tail
        if self.scale <= 0:
            return 0.0
        return _isf(tail, self.shape, self.scale)


# the same null model meets the same thresholds window after window; scipy's gamma tail
# costs ~100 us a call, three quarters of judging a window (docs/benchmarks.md)
@functools.lru_cache(maxsize=8192)
def _sf(threshold: float, shape: float, scale: float) -> float:
    return float(gamma.sf(threshold, shape, scale=scale))


@functools.lru_cache(maxsize=8192)
def _isf(tail: float, shape: float, scale: float) -> float:
    return float(gamma.isf(tail, shape, scale=scale))


def null_model(
    b: Binning,
    test: str,
    n: int,
    seed: int = 0,
    draws: int = DRAWS,
    *,
    reference_n: int | None = None,
) -> NullModel:
    """Fit the statistic's null distribution for windows of ``n`` records of ``b``.

    The reference's shares are taken as exact, as they nearly are for a training set many
    times a window's size. With ``reference_n``, a reference as small as a window (a
    refreshed one: one window's traffic), each draw compares two samples of the same
    distribution, a window of ``n`` and a reference of ``reference_n``: the reference's
    own noise widens the null, and the thresholds with it.
    """
    if test in P_VALUE_TESTS:
        return NullModel(test, 1.0, 1.0)
    rng = np.random.default_rng(seed)
    shares = b.expected / b.expected.sum()
    samples = rng.multinomial(max(n, 1), shares, size=draws)
    expected = b.expected
    if reference_n is not None:
        expected = rng.multinomial(max(reference_n, 1), shares, size=draws) / max(reference_n, 1)
    values = STATISTICS[test](samples, expected, b.points, b.scale)
    mean, var = float(values.mean()), float(values.var())
    if mean <= 0 or var <= 0:
        return NullModel(test, 1.0, 0.0)
    return NullModel(test, mean * mean / var, var / mean)


def corrected(test: str, threshold: float, model: NullModel, tail: float) -> float:
    """``threshold``, moved to where stable traffic crosses it in at most ``tail`` windows."""
    if test in P_VALUE_TESTS:
        return min(threshold, tail)
    return max(threshold, model.quantile(tail))
