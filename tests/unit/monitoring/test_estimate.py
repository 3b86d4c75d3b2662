"""The performance estimate from calibrated scores matches what the labels then say."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from streamops_monitoring.estimate import estimate, histogram


def test_calibrated_scores_estimate_the_realised_figures() -> None:
    rng = np.random.default_rng(4)
    scores = rng.beta(0.6, 8, 200_000)
    labels = rng.random(len(scores)) < scores  # calibrated: P(positive | s) = s
    guess = estimate(histogram(scores.tolist()), threshold=0.3)
    hits = scores >= 0.3
    assert guess["precision"] == pytest.approx(skm.precision_score(labels, hits), abs=0.01)
    assert guess["recall"] == pytest.approx(skm.recall_score(labels, hits), abs=0.01)
    assert guess["error_rate"] == pytest.approx(np.mean(labels != hits), abs=0.002)
    assert guess["roc_auc"] == pytest.approx(skm.roc_auc_score(labels, scores), abs=0.01)
    assert guess["pr_auc"] == pytest.approx(skm.average_precision_score(labels, scores), abs=0.02)


def test_overconfident_scores_overestimate_and_the_gap_shows_it() -> None:
    rng = np.random.default_rng(5)
    truth = rng.beta(0.6, 8, 100_000)
    labels = rng.random(len(truth)) < truth
    scores = np.clip(truth * 2.5, 0, 1)  # claims far more positives than there are
    guess = estimate(histogram(scores.tolist()), threshold=0.3)
    realised = skm.precision_score(labels, scores >= 0.3)
    assert guess["precision"] > realised + 0.2


def test_no_scores_estimate_nothing() -> None:
    assert estimate([0] * 100, 0.5) == {}
