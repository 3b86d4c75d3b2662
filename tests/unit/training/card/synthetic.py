"""Synthetic holdouts and card inputs for the card tests: fraud-like binary (about 2%
positives, slices by country and channel), regression, multiclass and one-class."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from streamops_training.card import (
    CardInputs,
    ChampionComparison,
    DatasetIdentity,
    GateVerdict,
    OffsetRange,
    TrainingWindow,
)
from streamops_training.card.inputs import Task

#: Countries by share; MT and LU are rare enough (< 30 rows of 4,000) to be grouped.
COUNTRIES = {"DE": 0.5, "FR": 0.3, "GB": 0.185, "MT": 0.005, "LU": 0.005, "IE": 0.005}
CHANNELS = {"web": 0.6, "app": 0.3, "pos": 0.1}


def binary_holdout(n: int = 4000, positives: float = 0.02, seed: int = 7) -> pd.DataFrame:
    """Labels with ``positives`` share of 1.0, scores that rank them well, two slices."""
    rng = np.random.default_rng(seed)
    label = (rng.random(n) < positives).astype(float)
    score = 1 / (1 + np.exp(-(rng.normal(-4, 1.2, n) + 3.5 * label)))
    return pd.DataFrame(
        {
            "label": label,
            "score": score,
            "country": rng.choice(list(COUNTRIES), n, p=list(COUNTRIES.values())),
            "channel": rng.choice(list(CHANNELS), n, p=list(CHANNELS.values())),
        }
    )


def regression_holdout(n: int = 2000, seed: int = 7) -> pd.DataFrame:
    """Amounts and predictions with noise; one slice column."""
    rng = np.random.default_rng(seed)
    label = rng.gamma(2.0, 50.0, n)
    return pd.DataFrame(
        {
            "label": label,
            "score": label + rng.normal(0, 10, n),
            "channel": rng.choice(list(CHANNELS), n, p=list(CHANNELS.values())),
        }
    )


def multiclass_holdout(n: int = 1500, seed: int = 7) -> pd.DataFrame:
    """Three classes, the right one predicted 80% of the time, with probabilities."""
    rng = np.random.default_rng(seed)
    classes = np.array(["chargeback", "fraud", "ok"])
    label = rng.choice(classes, n, p=[0.2, 0.1, 0.7])
    wrong = rng.choice(classes, n)
    predicted = np.where(rng.random(n) < 0.8, label, wrong)
    proba = rng.dirichlet(np.ones(3), n)
    frame = pd.DataFrame({"label": label, "predicted": predicted})
    for i, c in enumerate(classes):
        frame[f"proba_{c}"] = proba[:, i]
    frame["channel"] = rng.choice(list(CHANNELS), n, p=list(CHANNELS.values()))
    return frame


def inputs(task: Task, holdout: pd.DataFrame, **changes: Any) -> CardInputs:
    """A complete card's inputs for ``holdout``, with fields replaced by ``changes``."""
    binary = task == "BINARY_CLASSIFICATION"
    base = CardInputs(
        pipeline="fraud",
        model_name="fraud",
        version=3,
        created_at=1_796_000_000_000,
        task=task,
        algorithm="sklearn.ensemble.HistGradientBoostingClassifier",
        framework="scikit-learn==1.9.1",
        onnx_sha256="ab" * 32,
        feature_names=("amount", "amount_sum_1h", "country", "channel"),
        metrics={
            "train.pr_auc": 0.81,
            "validation.pr_auc": 0.74,
            "holdout.pr_auc": 0.72,
            "holdout.roc_auc": 0.97,
            "validation.roc_auc": 0.96,
        },
        window=TrainingWindow(1_795_000_000_000, 1_796_000_000_000, 36_000, len(holdout)),
        dataset=DatasetIdentity(
            "cd" * 32,
            1_796_000_000_000,
            (
                OffsetRange("fraud.labels.valid", 0, 0, 5_000),
                OffsetRange("fraud.features", 1, 100, 20_100),
                OffsetRange("fraud.features", 0, 0, 20_000),
            ),
            {"fraud.labels.valid": (7,), "fraud.features": (12, 14)},
        ),
        gates=(
            GateVerdict("enough_labels", True, 40_000.0, 1_000.0, "40000 labelled rows"),
            GateVerdict("onnx_parity", True, 3e-7, 1e-4, None),
            GateVerdict("beats_champion_pr_auc", False, 0.004, 0.01, "gain under the margin"),
        ),
        outcome="kept as challenger: manual approval",
        holdout=holdout,
        params={"max_iter": 200, "learning_rate": 0.1, "loss": "log_loss"},
        decision_threshold=0.42 if binary else None,
        threshold_rule="max F1 on the validation split" if binary else None,
        parent_version=2,
        run_id="run-0003",
        intended_use="Score card payments for fraud before authorisation.",
        slices=("country", "channel") if "country" in holdout else ("channel",),
        importance={f"feature_{i:02d}": 1 / (i + 1) for i in range(25)},
        champion=ChampionComparison(2, "pr_auc", 0.716, 0.720, 0.81),
        label_delay=timedelta(days=3),
    )
    return dataclasses.replace(base, **changes)
