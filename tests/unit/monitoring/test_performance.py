"""The rolling metrics' sampling noise: how good a window's primary metric may still be."""

from __future__ import annotations

from typing import Any

import numpy as np

from streamops_monitoring.performance import likely_bound, rolling_metrics


def _rows(n: int, positives: float, separation: float, seed: int) -> list[list[Any]]:
    """[score, predicted, label] of a model whose scores of positives sit ``separation``
    above the negatives' (in logits)."""
    rng = np.random.default_rng(seed)
    y = rng.random(n) < positives
    logits = rng.normal(-4 + separation * y, 1.0)
    scores = 1 / (1 + np.exp(-logits))
    pairs = zip(scores.tolist(), y.tolist(), strict=True)
    return [[s, "1" if s >= 0.5 else "0", "1" if t else "0"] for s, t in pairs]


def test_a_window_of_few_positives_may_be_much_better_than_its_figure() -> None:
    rows = _rows(10_000, 0.015, 3.0, seed=1)  # ~150 positives, as fraud's 10,000 labels
    value = rolling_metrics("binary", rows, 0.5)["pr_auc"]
    bound = likely_bound("binary", rows, 0.5, "pr_auc")
    assert bound is not None and bound > value + 0.03  # several points of noise


def test_a_real_drop_stays_below_the_limit_with_its_noise() -> None:
    good = rolling_metrics("binary", _rows(10_000, 0.015, 4.0, seed=2), 0.5)["pr_auc"]
    worse = _rows(10_000, 0.015, 1.5, seed=3)
    bound = likely_bound("binary", worse, 0.5, "pr_auc")
    assert bound is not None and bound < good * 0.9


def test_lower_is_better_takes_the_lower_quantile() -> None:
    rng = np.random.default_rng(4)
    truth = rng.normal(30, 10, 2_000)
    rows: list[list[Any]] = [[float(t + rng.normal(0, 3)), "", repr(float(t))] for t in truth]
    value = rolling_metrics("regression", rows, None)["mae"]
    bound = likely_bound("regression", rows, None, "mae")
    assert bound is not None and bound < value
