"""The spec's model and retraining sections: defaults, and each mistake names field and line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from streamops.pipeline import SpecError, load_pipeline
from streamops.pipeline.model_spec import ESTIMATORS, METRICS, ModelSpec
from streamops.pipeline.summary import summarize

REPO = Path(__file__).resolve().parents[3]
FRAUD = REPO / "deploy" / "pipelines" / "fraud.yaml"
SCHEMA = REPO / "schemas" / "fraud" / "Transaction.avsc"


def _spec(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = FRAUD.read_text().replace("../../schemas/fraud/Transaction.avsc", str(SCHEMA))
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_the_fraud_model_and_retraining_sections_load_typed() -> None:
    spec = load_pipeline(FRAUD).spec
    assert spec.model is not None and spec.retraining is not None
    assert spec.model.algorithm == "hist_gradient_boosting"
    assert spec.model.params == {"max_iter": 200, "learning_rate": 0.1}
    assert spec.model.data.lookback == timedelta(days=14)
    assert spec.model.data.recent_weight is not None
    assert spec.model.data.recent_weight.window == timedelta(days=1)
    assert spec.model.gates.parity_tolerance == pytest.approx(1e-4)
    assert spec.retraining.cooldown == timedelta(minutes=30)
    assert spec.retraining.schedule is None and spec.retraining.every_labels == 20000


def test_defaults_follow_the_labels_kind() -> None:
    model = ModelSpec()
    assert model.task_for("regression") == "regression"
    assert model.metric_for("regression") == "rmse"
    assert model.metric_for("binary") == "pr_auc"
    assert model.metric_for("multiclass") == "macro_f1"
    for metric in {model.metric_for(t) for t in ("binary", "multiclass", "regression")}:
        assert metric in METRICS


def test_every_algorithm_offers_a_task() -> None:
    algorithms = {a for a, _ in ESTIMATORS}
    assert algorithms == {
        "logistic_regression",
        "linear_regression",
        "random_forest",
        "hist_gradient_boosting",
    }


def test_spec_check_explains_the_model_and_retraining() -> None:
    text = summarize(load_pipeline(FRAUD))
    assert "model    fraud-detector: binary hist_gradient_boosting" in text
    assert "on all 34 features; pr_auc" in text
    assert "pr_auc (higher is better), threshold max_f1; seed 7" in text
    assert "negatives kept 25% (weight 4)" in text
    assert "beat the champion's pr_auc by > 0.005 in 95% of 1000" in text
    assert "retrain  first model at 5000 labels; every 20000 new labels" in text
    assert "drift    windows of 1h every 30m (event time)" in text and "reserved" not in text
    assert "numbers psi > 0.1, categories jensenshannon > 0.1; scores psi; errors adwin" in text


@pytest.mark.parametrize(
    ("edits", "needle", "where", "says"),
    [
        (
            [("algorithm: hist_gradient_boosting", "algorithm: xgboost")],
            "algorithm: xgboost",
            "model.algorithm",
            "Input should be 'logistic_regression'",
        ),
        (
            [("algorithm: hist_gradient_boosting", "algorithm: linear_regression")],
            "algorithm: linear_regression",
            "model.algorithm",
            "linear_regression does not do binary",
        ),
        (
            [("{max_iter: 200, learning_rate: 0.1}", "{max_iter: 200, learnin_rate: 0.1}")],
            "params:",
            "model.params.learnin_rate",
            "HistGradientBoostingClassifier has no param 'learnin_rate'",
        ),
        (
            [("{max_iter: 200, learning_rate: 0.1}", "{random_state: 3}")],
            "params:",
            "model.params.random_state",
            "set by model.seed",
        ),
        (
            [("primary_metric: pr_auc", "primary_metric: rmse")],
            "primary_metric",
            "model.primary_metric",
            "rmse is not a binary metric",
        ),
        (
            [("primary_metric: pr_auc", "primary_metric: auc")],
            "primary_metric",
            "model.primary_metric",
            "unknown metric 'auc'",
        ),
        (
            [("  task: binary", "  task: regression")],
            "task: regression",
            "model.task",
            "task regression cannot learn from labels of kind binary",
        ),
        (
            [
                ("  kind: binary", "  kind: regression"),
                ("  task: binary", "  task: regression"),
                ("primary_metric: pr_auc", "primary_metric: rmse"),
                ("    negative_sample: 0.25", "    negative_sample: null"),
                ("  algorithm: hist_gradient_boosting", "  algorithm: random_forest"),
                ("{max_iter: 200, learning_rate: 0.1}", "{n_estimators: 50}"),
            ],
            "threshold:",
            "model.threshold",
            "a threshold is for binary models, not regression",
        ),
        (
            [("threshold: {rule: max_f1}", "threshold: {rule: target_precision}")],
            "threshold:",
            "model.threshold",
            "precision goes with rule target_precision",
        ),
        (
            [("class_weight: null", 'class_weight: {"2": 5}')],
            "class_weight:",
            "model.class_weight.2",
            "not a class (0, 1)",
        ),
        (
            [("features: all ", "features: [count_10m, cuont_1h] ")],
            "features: [count_10m",
            "model.features.1",
            "no feature 'cuont_1h'",
        ),
        (
            [("lookback: 14d", "lookback: two weeks")],
            "lookback:",
            "model.data.lookback",
            "not a duration",
        ),
        (
            [("{factor: 3.0, window: 1d}", "{factor: 3.0, window: 1 day}")],
            "recent_weight:",
            "model.data.recent_weight.window",
            "not a duration",
        ),
        (
            [
                (
                    "split: {validation: 0.15, holdout: 0.15}",
                    "split: {validation: 0.15, holdout: 0.7}",
                )
            ],
            "split:",
            "model.split.holdout",
            "less than 0.5",
        ),
        (
            [("  cooldown: 30m", "  cooldown: half an hour")],
            "cooldown:",
            "retraining.cooldown",
            "not a duration",
        ),
        (
            [("  schedule: null", "  schedule: 0s")],
            "schedule:",
            "retraining.schedule",
            "longer than zero",
        ),
        (
            [("on_alert: [DATA_DRIFT,", "on_alert: [DRIFT,")],
            "on_alert:",
            "retraining.on_alert.0",
            "Input should be 'DATA_QUALITY'",
        ),
        (
            [("  approval: auto", "  approval: sometimes")],
            "approval:",
            "retraining.approval",
            "Input should be 'auto' or 'manual'",
        ),
    ],
)
def test_a_model_mistake_names_its_field_and_line(
    tmp_path: Path, edits: list[tuple[str, str]], needle: str, where: str, says: str
) -> None:
    path = _spec(tmp_path, *edits)
    with pytest.raises(SpecError) as caught:
        load_pipeline(path)
    assert f"{path}:{_line_of(path, needle)}: {where}" in str(caught.value)
    assert says in str(caught.value)


def test_negative_sampling_is_for_binary_labels(tmp_path: Path) -> None:
    path = _spec(
        tmp_path,
        ("  kind: binary", "  kind: regression"),
        ("  task: binary", "  task: regression"),
        ("primary_metric: pr_auc", "primary_metric: mae"),
        ("threshold: {rule: max_f1}", "threshold: null"),
    )
    with pytest.raises(SpecError) as caught:
        load_pipeline(path)
    assert f":{_line_of(path, 'negative_sample: 0.25')}: model.data.negative_sample" in str(
        caught.value
    )
    assert "negative sampling is for binary" in str(caught.value)


def test_a_regression_model_loads_with_its_own_metric(tmp_path: Path) -> None:
    path = _spec(
        tmp_path,
        ("  kind: binary", "  kind: regression"),
        ("  task: binary", "  task: regression"),
        ("primary_metric: pr_auc", "primary_metric: mae"),
        ("threshold: {rule: max_f1}", "threshold: null"),
        ("negative_sample: 0.25", "negative_sample: null"),
        ("{max_iter: 200, learning_rate: 0.1}", "{quantile: 0.5}"),  # a regressor-only param
    )
    model = load_pipeline(path).spec.model
    assert model is not None and model.metric_for("regression") == "mae"
