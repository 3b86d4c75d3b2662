"""The gates: data checks, and a candidate against the champion on the same holdout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score

from streamops.pipeline import Pipeline
from streamops.pipeline.model_spec import Gates
from streamops_training.frame import Frame
from streamops_training.gates import beats_champion, beats_no_skill, data_checks
from streamops_training.job import TrainedModel, champion_gate, evaluate_champion, train
from tests.unit.training.conftest import with_model
from tests.unit.training.synthetic import fraud_like

FAST = Gates(bootstrap=300, margin=0.005, confidence=0.95, min_labels=500, min_positives=10)


def _frame(labels: list[int], x: list[float]) -> Frame:
    data = pd.DataFrame({"label": labels, "x": np.array(x, np.float32), "c": ["a"] * len(x)})
    return Frame(data, ("x",), ("c",))


def test_data_checks_name_what_is_missing() -> None:
    train = _frame([0] * 30 + [1] * 5, [np.nan] * 35)
    holdout = _frame([0, 0], [1.0, 2.0])
    results = {g.name: g for g in data_checks(train, [holdout], "binary", FAST, ["x"], (0, 1))}
    assert not results["enough_labels"].passed
    assert results["enough_labels"].detail == "37 labelled rows (at least 500)"
    assert not results["every_class_present"].passed
    assert results["every_class_present"].detail == (
        "train has 5 of class 1; validation has 0 of class 1"
    )
    assert (
        not results["no_feature_all_null"].passed and "x" in results["no_feature_all_null"].detail
    )
    assert not results["features_in_schema"].passed
    assert results["features_in_schema"].detail == "not in the current features schema: c"


def test_a_gain_just_under_the_margin_is_rejected_and_a_clear_one_passes() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(20_000) < 0.05).astype(int)
    champion = 0.5 * y + rng.random(20_000)
    better = 1.0 * y + rng.random(20_000)
    observed = average_precision_score(y, better) - average_precision_score(y, champion)
    assert observed > 0.1
    clear = beats_champion(y, better, champion, "pr_auc", "binary", FAST, seed=1)
    assert clear.passed, clear.detail
    under = FAST.model_copy(update={"margin": observed + 0.001})
    rejected = beats_champion(y, better, champion, "pr_auc", "binary", under, seed=1)
    assert not rejected.passed
    assert f"pr_auc gain +{observed:.4f}" in rejected.detail
    # a lower-is-better metric counts a drop as the gain
    target = rng.normal(size=5_000)
    close, far = target + rng.normal(0, 0.1, 5_000), target + rng.normal(0, 0.5, 5_000)
    assert beats_champion(target, close, far, "mae", "regression", FAST, seed=1).passed
    assert not beats_champion(target, far, close, "mae", "regression", FAST, seed=1).passed


@pytest.fixture(scope="module")
def quick(fraud: Pipeline) -> Pipeline:
    return with_model(fraud, params={"max_iter": 40}, gates=FAST)


@pytest.fixture(scope="module")
def champion(quick: Pipeline) -> TrainedModel:
    # little data and a linear model that cannot see the interactions the trees find
    small = with_model(quick, algorithm="logistic_regression", params={"max_iter": 200})
    return train(fraud_like(small, 4_000, seed=11, positive_rate=0.05), small)


def test_a_genuinely_better_candidate_beats_the_champion_on_the_same_holdout(
    quick: Pipeline, champion: TrainedModel
) -> None:
    candidate = train(fraud_like(quick, 30_000, seed=12, positive_rate=0.05, signal=1.0), quick)
    scores = evaluate_champion(champion.onnx_model, candidate.holdout, "binary")
    verdict = champion_gate(candidate, scores, champion.threshold, quick.spec.model)  # type: ignore[arg-type]
    assert verdict.passed, verdict.detail


def test_a_candidate_equal_to_the_champion_is_rejected(champion: TrainedModel) -> None:
    same = evaluate_champion(champion.onnx_model, champion.holdout, "binary")
    verdict = champion_gate(champion, same, champion.threshold, with_model_gates(FAST))
    assert not verdict.passed and "gain +0.0000" in verdict.detail


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_shuffled_labels_never_pass(quick: Pipeline, seed: int) -> None:
    # the same events, labels shuffled among them: the model learns noise. Judged where
    # the labels are true (the real model's holdout), against the real model
    shuffled = train(
        fraud_like(quick, 12_000, seed=seed, positive_rate=0.05, shuffle_labels=True), quick
    )
    real = train(fraud_like(quick, 12_000, seed=seed, positive_rate=0.05), quick)
    truth = real.holdout
    candidate = evaluate_champion(shuffled.onnx_model, truth, "binary")
    verdict = beats_champion(
        truth.labels,
        candidate,
        truth.predictions,
        "pr_auc",
        "binary",
        FAST,
        seed,
        (shuffled.threshold, real.threshold),
    )
    assert not verdict.passed, verdict.detail
    assert "above the margin 0.005 in 0.0% of 300" in verdict.detail
    # (against a champion with no skill either, a 95% gate lets noise through about one
    # time in twenty by design: that is what the confidence means)


def with_model_gates(gates: Gates):  # type: ignore[no-untyped-def]
    from streamops.pipeline.model_spec import ModelSpec

    return ModelSpec(gates=gates, seed=7)


@pytest.mark.parametrize("seed", [31, 32])
def test_a_first_model_must_beat_a_constant_and_noise_does_not(quick: Pipeline, seed: int) -> None:
    real = train(fraud_like(quick, 12_000, seed=seed, positive_rate=0.05), quick)
    shuffled = train(
        fraud_like(quick, 12_000, seed=seed, positive_rate=0.05, shuffle_labels=True), quick
    )
    truth = real.holdout
    skilled = beats_no_skill(truth.labels, truth.predictions, "binary", "pr_auc", FAST, seed)
    assert skilled.passed, skilled.detail
    assert skilled.name == "beats_no_skill" and "roc_auc gain" in skilled.detail
    noise = evaluate_champion(shuffled.onnx_model, truth, "binary")
    verdict = beats_no_skill(truth.labels, noise, "binary", "pr_auc", FAST, seed)
    assert not verdict.passed, verdict.detail
