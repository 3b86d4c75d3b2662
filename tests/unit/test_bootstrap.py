"""The bootstrap training and monitoring share, and its fast ranking metrics."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from streamops.bootstrap import Ranked, bootstrap, quantile, resamples


def test_the_fast_ranking_metrics_equal_scikit_learns_weighted_or_not() -> None:
    rng = np.random.default_rng(3)
    y = (rng.random(2000) < 0.05).astype(int)
    scores = np.round(rng.random(2000) + 0.3 * y, 3)  # ties included
    weights = np.bincount(rng.integers(0, 2000, 2000), minlength=2000).astype(float)
    ranked = Ranked(y, scores)
    for w in (weights, None):
        assert ranked.value("pr_auc", w) == pytest.approx(
            average_precision_score(y, scores, sample_weight=w), abs=1e-12
        )
        assert ranked.value("roc_auc", w) == pytest.approx(
            roc_auc_score(y, scores, sample_weight=w), abs=1e-12
        )
    with pytest.raises(ValueError, match="both classes"):
        Ranked(np.zeros(10), rng.random(10)).value("pr_auc")


def test_a_resample_is_a_draw_of_n_rows_and_a_seed_repeats_it() -> None:
    first = list(resamples(50, 3, seed=7))
    assert [w.sum() for w in first] == [50, 50, 50]
    assert all(np.array_equal(a, b) for a, b in zip(first, resamples(50, 3, seed=7), strict=True))
    assert not np.array_equal(first[0], first[1])


def test_undefined_resamples_are_nan_and_a_bound_needs_a_majority_of_defined_ones() -> None:
    draws = iter(range(10))

    def statistic(_: np.ndarray) -> float | None:
        i = next(draws)
        if i < 3:
            raise ValueError("one class only")
        return None if i < 5 else float(i)  # None: undefined too

    values = bootstrap(statistic, 20, count=10, seed=0)
    assert np.isnan(values[:5]).all() and list(values[5:]) == [5, 6, 7, 8, 9]
    assert quantile(values, 0.5) is None  # 5 of 10 defined: not a majority
    values[4] = 4.0
    assert quantile(values, 0.5) == pytest.approx(6.5)
