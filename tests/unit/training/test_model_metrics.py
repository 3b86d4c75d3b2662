"""Metrics per task and the binary threshold rules."""

from __future__ import annotations

import numpy as np
import pytest

from streamops.pipeline.model_spec import ThresholdRule
from streamops_training.model_metrics import choose_threshold, metric, pessimistic, task_metrics


def test_max_f1_lies_halfway_between_two_distinct_scores() -> None:
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0])
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.3, 0.3, 0.2, 0.1])
    # F1 at >= 0.6: 3 tp, 1 fp -> 6/7, the best; the next lower score is 0.3
    assert choose_threshold(y, scores, ThresholdRule()) == pytest.approx(0.45)


def test_target_precision_takes_the_lowest_threshold_reaching_it() -> None:
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0])
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.3, 0.3, 0.2, 0.1])
    rule = ThresholdRule(rule="target_precision", precision=1.0)
    assert choose_threshold(y, scores, rule) == pytest.approx(0.75)  # 2 of 2 above 0.75
    unreachable = ThresholdRule(rule="target_precision", precision=1.0)
    flat = choose_threshold(np.array([0, 1]), np.array([0.5, 0.5]), unreachable)
    assert flat < 0.5  # no threshold reaches it: the F1-best (all positive) stands


def test_tied_scores_are_decided_together() -> None:
    y = np.array([1, 0, 1, 0])
    scores = np.array([0.5, 0.5, 0.5, 0.2])
    threshold = choose_threshold(y, scores, ThresholdRule())
    assert 0.2 < threshold < 0.5


def test_each_task_has_its_metrics_and_their_directions() -> None:
    y = np.array([0, 1, 0, 1, 1])
    p = np.array([0.2, 0.8, 0.4, 0.6, 0.3])
    binary = task_metrics("binary", y, p, threshold=0.5)
    assert set(binary) == {"pr_auc", "roc_auc", "f1", "log_loss"}
    assert binary["f1"] == pytest.approx(0.8)  # tp 2, fp 0, fn 1
    assert binary["roc_auc"] == pytest.approx(5 / 6)
    classes = ("a", "b")
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]])
    multi = task_metrics(
        "multiclass", np.array(["a", "b", "a"], dtype=object), probabilities, classes=classes
    )
    assert set(multi) == {"macro_f1", "accuracy", "log_loss"}
    assert multi["accuracy"] == pytest.approx(2 / 3)
    regression = task_metrics("regression", np.array([1.0, 2.0]), np.array([1.5, 2.5]))
    assert regression == {"mae": 0.5, "rmse": 0.5, "r2": 0.0}


def test_a_metric_undefined_on_one_class_is_left_out() -> None:
    only_negatives = task_metrics("binary", np.zeros(4, dtype=int), np.full(4, 0.1), 0.5)
    assert "roc_auc" not in only_negatives and "log_loss" in only_negatives


def test_weights_count_rows_as_repeated() -> None:
    y = np.array([0, 1, 1, 0])
    p = np.array([0.1, 0.7, 0.4, 0.5])
    weights = np.array([2.0, 1.0, 0.0, 3.0])
    repeated = metric(
        "pr_auc", "binary", np.array([0, 0, 1, 0, 0, 0]), np.array([0.1, 0.1, 0.7, 0.5, 0.5, 0.5])
    )
    assert metric("pr_auc", "binary", y, p, weights=weights) == pytest.approx(repeated)


def _holdout(n: int, positives: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < positives).astype(int)
    return y, 1 / (1 + np.exp(-rng.normal(-4 + 3.5 * y, 1.0)))


def test_a_holdout_of_few_positives_may_flatter_the_model_by_several_points() -> None:
    y, scores = _holdout(4_000, 0.0125, seed=1)  # ~50 positives, as a first fraud holdout
    figure = metric("pr_auc", "binary", y, scores)
    lower = pessimistic(
        "pr_auc", "binary", y, scores, None, (), resamples=1000, confidence=0.95, seed=0
    )
    assert lower is not None and figure - 0.15 < lower < figure - 0.03
    # the same model on 40 times the rows: the bound closes in on the figure
    y, scores = _holdout(160_000, 0.0125, seed=2)
    figure = metric("pr_auc", "binary", y, scores)
    many = pessimistic(
        "pr_auc", "binary", y, scores, None, (), resamples=200, confidence=0.95, seed=0
    )
    assert many is not None and figure - 0.02 < many < figure


def test_worse_is_higher_for_a_loss_and_undefined_is_none() -> None:
    y, scores = _holdout(2_000, 0.05, seed=3)
    loss = metric("log_loss", "binary", y, scores)
    bound = pessimistic(
        "log_loss", "binary", y, scores, None, (), resamples=200, confidence=0.95, seed=0
    )
    assert bound is not None and bound > loss
    one_class = np.zeros(50, dtype=int)
    assert (
        pessimistic(
            "pr_auc",
            "binary",
            one_class,
            scores[:50],
            None,
            (),
            resamples=200,
            confidence=0.95,
            seed=0,
        )
        is None
    )
