"""A whole job on a synthetic fraud-like dataset: what a ModelVersion needs, and refusals."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import numpy as np
import pytest

from streamops.dataset import Dataset
from streamops.pipeline import Pipeline
from streamops.pipeline.model_spec import Gates
from streamops_training.job import DataCheckFailed, TrainedModel, evaluate_champion, train
from tests.support.pipelines import REPO
from tests.unit.training.conftest import with_model
from tests.unit.training.synthetic import fraud_like

DELAY_MS = 3 * 86_400_000


@pytest.fixture(scope="module")
def small(fraud: Pipeline) -> Pipeline:
    return with_model(fraud, params={"max_iter": 40})


@pytest.fixture(scope="module")
def trained(small: Pipeline) -> TrainedModel:
    return train(fraud_like(small, 12_000, seed=1, positive_rate=0.03), small)


def test_a_job_yields_everything_a_model_version_needs(trained: TrainedModel) -> None:
    assert trained.rejection is None
    assert [g.name for g in trained.gates] == [
        "enough_labels",
        "every_class_present",
        "no_feature_all_null",
        "features_in_schema",
        "parity",
    ]
    assert trained.model_name == "fraud-detector" and trained.task == "binary"
    assert trained.algorithm == "sklearn.ensemble.HistGradientBoostingClassifier"
    assert trained.framework.startswith("scikit-learn==")
    assert trained.params["max_iter"] == 40 and trained.params["random_state"] == 7
    assert [i["name"] for i in trained.signature["inputs"]] == list(trained.feature_names)
    assert len(trained.onnx_sha256) == 64 and trained.classes == ("0", "1")
    assert trained.threshold is not None and 0 < trained.threshold < 1
    assert set(trained.metrics) == {"train", "validation", "holdout", "holdout_lower"}
    assert trained.metrics["holdout"]["roc_auc"] > 0.6  # the synthetic signal is learnt
    # the primary metric as bad as the holdout's noise allows, for monitoring
    [(primary, lower)] = trained.metrics["holdout_lower"].items()
    assert primary == trained.primary_metric == "pr_auc"
    assert 0 < lower < trained.metrics["holdout"]["pr_auc"]
    assert set(trained.durations_s) == {"fit", "export", "evaluate"}
    assert trained.reference_profile["prediction"]["kind"] == "NUMERIC"


def test_the_window_and_counts_agree_with_the_rows(trained: TrainedModel) -> None:
    rows, window = trained.rows, trained.training_window
    assert window["train_count"] == rows["train"] - rows["sampled_out"]
    assert window["holdout_count"] == rows["holdout"] == len(trained.holdout.event_ids)
    assert rows["sampled_out"] > 0  # fraud.yaml keeps a quarter of the negatives
    assert window["start"] < window["end"]
    assert trained.reference_profile["record_count"] == rows["train"]  # before sampling


def test_the_holdout_holds_matured_rows_at_their_live_class_balance(
    trained: TrainedModel, small: Pipeline
) -> None:
    dataset = fraud_like(small, 12_000, seed=1, positive_rate=0.03)
    holdout = trained.holdout
    assert holdout.data["event_time"].max() + DELAY_MS <= dataset.identity.cutoff_ms
    assert 0.005 < holdout.labels.mean() < 0.1  # not the positives-only tail
    assert len(holdout.predictions) == len(holdout.labels)


def test_the_champion_is_scored_on_the_same_holdout(trained: TrainedModel) -> None:
    again = evaluate_champion(trained.onnx_model, trained.holdout, "binary")
    assert np.array_equal(again, trained.holdout.predictions)


def test_too_few_labels_or_positives_fail_before_fitting(small: Pipeline) -> None:
    strict = with_model(small, gates=Gates(min_labels=50_000))
    with pytest.raises(
        DataCheckFailed, match=r"enough_labels: \d+ labelled rows \(at least 50000\)"
    ):
        train(fraud_like(small, 5_000, seed=2), strict)
    with pytest.raises(DataCheckFailed, match="every_class_present: train has 0 of class 1"):
        train(fraud_like(small, 5_000, seed=2, positive_rate=1e-9), small)


def test_an_empty_dataset_fails_its_checks_once(small: Pipeline) -> None:
    dataset = fraud_like(small, 100, seed=2)
    with pytest.raises(DataCheckFailed, match="0 labelled rows") as caught:
        train(Dataset(dataset.identity, dataset.columns, []), small)
    assert "no_feature_all_null" not in str(caught.value)


def test_a_feature_missing_from_the_current_schema_fails_its_gate(small: Pipeline) -> None:
    dataset = fraud_like(small, 5_000, seed=2)
    with pytest.raises(
        DataCheckFailed, match="features_in_schema: not in the current features schema: channel"
    ):
        train(
            dataset, small, current_features=[c for c in dataset.identity.columns if c != "channel"]
        )


def test_a_regression_job_trains_on_the_same_columns(small: Pipeline) -> None:
    spec = small.spec
    assert spec.labels is not None and spec.model is not None
    labels = spec.labels.model_copy(update={"kind": "regression", "negative_after_delay": False})
    model = spec.model.model_copy(
        update={"task": "regression", "primary_metric": "mae", "threshold": None}
    )
    model = model.model_copy(
        update={"data": model.data.model_copy(update={"negative_sample": None})}
    )
    regression = dataclasses.replace(
        small, spec=spec.model_copy(update={"labels": labels, "model": model})
    )
    result = train(fraud_like(small, 5_000, seed=3), regression)
    assert result.rejection is None and result.threshold is None
    assert result.algorithm.endswith("HistGradientBoostingRegressor")
    assert set(result.metrics["holdout"]) == {"mae", "rmse", "r2"}
    assert result.metrics["holdout_lower"]["mae"] > result.metrics["holdout"]["mae"]  # worse
    assert [o["name"] for o in result.signature["outputs"]] == ["variable"]


def test_a_multiclass_job_names_its_classes(small: Pipeline) -> None:
    spec = small.spec
    assert spec.labels is not None and spec.model is not None
    names = ("legit", "review", "fraud")
    labels = spec.labels.model_copy(
        update={"kind": "multiclass", "classes": list(names), "negative_after_delay": False}
    )
    model = spec.model.model_copy(update={"task": "multiclass", "primary_metric": "macro_f1"})
    model = model.model_copy(
        update={"threshold": None, "data": model.data.model_copy(update={"negative_sample": None})}
    )
    multiclass = dataclasses.replace(
        small, spec=spec.model_copy(update={"labels": labels, "model": model})
    )
    result = train(fraud_like(small, 6_000, seed=4, positive_rate=0.1, classes=names), multiclass)
    assert result.rejection is None and result.threshold is None
    assert result.classes == ("fraud", "legit", "review")  # the probabilities' column order
    assert result.holdout.predictions.shape == (len(result.holdout.labels), 3)
    assert set(result.metrics["holdout"]) == {"macro_f1", "accuracy", "log_loss"}
    prediction = result.reference_profile["prediction"]
    assert prediction["kind"] == "CATEGORICAL"
    assert set(prediction["categorical"]["frequencies"]) <= set(names)


_REPRODUCE = """
from streamops.pipeline import load_pipeline
from streamops_training.job import train
from tests.support.pipelines import FRAUD
from tests.unit.training.conftest import with_model
from tests.unit.training.synthetic import fraud_like
pipeline = with_model(load_pipeline(FRAUD), params={"max_iter": 40})
print(train(fraud_like(pipeline, 12_000, seed=1, positive_rate=0.03), pipeline).onnx_sha256)
"""


def test_same_dataset_spec_and_seed_give_the_same_bytes_in_fresh_processes(
    trained: TrainedModel,
) -> None:
    shas = []
    for threads, hashseed in (("1", "1"), ("2", "4242")):
        env = {**os.environ, "OMP_NUM_THREADS": threads, "PYTHONHASHSEED": hashseed}
        env["PYTHONPATH"] = str(REPO)
        done = subprocess.run(
            [sys.executable, "-c", _REPRODUCE], env=env, capture_output=True, text=True, check=True
        )
        shas.append(done.stdout.strip())
    assert shas == [trained.onnx_sha256] * 2
