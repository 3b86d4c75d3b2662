"""The rolling metrics' sampling noise: how good a window's primary metric may still be."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn import metrics as skm

from streamops_monitoring.performance import _statistic, likely_bound, rolling_metrics


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


@pytest.mark.parametrize("seed", range(6))
def test_the_binary_metrics_are_sklearns_ties_and_empty_predictions_included(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 3000))
    y = rng.random(n) < rng.uniform(0.01, 0.5)
    y[:2] = [True, False]  # both classes
    scores = np.round(np.clip(rng.normal(0.2 + 0.3 * y, 0.2), 0, 1), int(rng.integers(1, 4)))
    threshold = 2.0 if seed == 0 else 0.5  # seed 0: nothing predicted positive
    hits = scores >= threshold
    rows = [[float(s), str(int(h)), str(int(t))] for s, h, t in zip(scores, hits, y, strict=True)]
    got = rolling_metrics("binary", rows, threshold)
    want = {
        "precision": skm.precision_score(y, hits, zero_division=0),
        "recall": skm.recall_score(y, hits, zero_division=0),
        "f1": skm.f1_score(y, hits, zero_division=0),
        "error_rate": np.mean(y != hits),
        "pr_auc": skm.average_precision_score(y, scores),
        "roc_auc": skm.roc_auc_score(y, scores),
    }
    assert got.keys() == want.keys()
    for name, value in want.items():
        assert got[name] == pytest.approx(float(value), rel=1e-12, abs=1e-12), name


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_a_resample_weighted_is_the_resample_drawn(task: str) -> None:
    # the bootstrap weighs rows by how often a resample drew them: each metric of a
    # weighting must equal the metric of the rows it stands for
    rows = _rows(500, 0.1, 2.0, seed=7)
    if task == "regression":
        rows = [[s, "", repr(s + (0.3 if t == "1" else 0.0))] for s, _, t in rows]
    rng = np.random.default_rng(8)
    for _ in range(5):
        picked = rng.integers(0, len(rows), len(rows))
        drawn = rolling_metrics(task, [rows[i] for i in picked], 0.5)
        weights = np.bincount(picked, minlength=len(rows)).astype(np.float64)
        for metric, value in drawn.items():
            weighted = _statistic(task, rows, 0.5, metric)(weights)
            assert weighted == pytest.approx(value, abs=1e-12), metric
