"""One training job, pure: a dataset and a spec in, a trained and checked model out.

`train` takes the dataset through the spec's policy (lookback, time-ordered split of the
matured rows, negative sampling and weights on the training rows), fits the pipeline,
exports it to ONNX, chooses the threshold on the validation rows, runs the parity gate on
the holdout, and profiles the training rows. Everything a ModelVersion needs is in the
`TrainedModel`, with the holdout kept so the champion can be scored on the same rows
(`evaluate_champion`, `champion_gate`). Publishing is the service's.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from threadpoolctl import threadpool_limits

from streamops.dataset import Dataset
from streamops.dataset.join import LabelRules
from streamops.features import feature_set
from streamops.pipeline import Pipeline
from streamops.pipeline.model_spec import ModelSpec, Task, ThresholdRule, estimator_for
from streamops_training.estimators import build_pipeline
from streamops_training.export import session, sha256, signature, to_onnx
from streamops_training.frame import to_frame
from streamops_training.gates import GateResult, beats_champion, data_checks
from streamops_training.model_metrics import choose_threshold, version_metrics
from streamops_training.parity import Parity, check_parity, onnx_predictions, sklearn_predictions
from streamops_training.policy import training_rows, within_lookback
from streamops_training.profile import categorical_profile, numeric_profile, reference_profile
from streamops_training.split import split_by_time

#: OpenMP threads of a fit; changing it may change the bytes a spec and dataset give. One:
#: with one thread no sum depends on a thread count, and on a shared 2-core machine the
#: 200k-row fraud job fit in 4.3 s on one thread against 14.1 s on two (OpenMP threads
#: spin waiting for a core another process holds).
FIT_THREADS = 1


class DataCheckFailed(Exception):
    """The data failed a gate before anything was fitted; ``gates`` says which and why."""

    def __init__(self, gates: list[GateResult]) -> None:
        self.gates = gates
        failed = "; ".join(f"{g.name}: {g.detail}" for g in gates if not g.passed)
        super().__init__(f"the training data fails its checks: {failed}")


class ChampionIncompatible(Exception):
    """The champion reads an input the holdout does not have."""


@dataclass(frozen=True)
class Holdout:
    """The holdout rows (event id, time, label and every feature of the dataset) and the
    candidate's ONNX predictions on them, in row order."""

    data: pd.DataFrame
    predictions: np.ndarray

    @property
    def event_ids(self) -> list[str]:
        """The holdout's event ids, in row order."""
        return [str(e) for e in self.data["event_id"]]

    @property
    def labels(self) -> np.ndarray:
        """The holdout's labels, in row order."""
        return np.asarray(self.data["label"].to_numpy())


@dataclass(frozen=True)
class TrainedModel:
    """A fitted, exported and checked model, with what its ModelVersion and run record."""

    model_name: str
    task: Task
    algorithm: str  # the estimator's dotted name
    framework: str
    params: Mapping[str, Any]
    onnx_model: bytes
    onnx_sha256: str
    signature: Mapping[str, list[dict[str, Any]]]
    feature_names: tuple[str, ...]
    classes: tuple[str, ...]
    threshold: float | None
    metrics: Mapping[str, Mapping[str, float]]  # split -> metric -> value
    primary_metric: str
    training_window: Mapping[str, int]
    reference_profile: Mapping[str, Any]
    holdout: Holdout = field(repr=False)
    parity: Parity
    gates: tuple[GateResult, ...]
    rows: Mapping[str, int]  # train, validation, holdout, unmatured, sampled_out
    durations_s: Mapping[str, float]  # fit, export, evaluate

    @property
    def rejection(self) -> str | None:
        """Why the model must not serve (a failed gate), None when all passed."""
        failed = [f"{g.name}: {g.detail}" for g in self.gates if not g.passed]
        return "; ".join(failed) or None


def train(
    dataset: Dataset,
    pipeline: Pipeline,
    *,
    after_drift: bool = False,
    current_features: Collection[str] | None = None,
    since_ms: int | None = None,
) -> TrainedModel:
    """Train the pipeline's model on the dataset (cut-off: the dataset's).

    ``after_drift`` turns on ``model.data.recent_weight``; ``current_features`` are the
    features schema's names (default: the spec's); ``since_ms``: validation and holdout are
    taken from the rows since (an alert's window; `split.split_by_time`). Raises
    DataCheckFailed before fitting when the data fails a check; a failed parity gate is in
    the result's ``rejection``.
    """
    # OpenMP reductions (gradient sums) may add in an order set by the thread count: a
    # fixed count, whatever OMP_NUM_THREADS says, keeps the fit and the ONNX bytes the same
    with threadpool_limits(limits=FIT_THREADS, user_api="openmp"):
        return _train(dataset, pipeline, after_drift, current_features, since_ms)


def _train(
    dataset: Dataset,
    pipeline: Pipeline,
    after_drift: bool,
    current_features: Collection[str] | None,
    since_ms: int | None,
) -> TrainedModel:
    spec = pipeline.spec
    rules = LabelRules.from_spec(spec)
    model = spec.model or ModelSpec()
    task = model.task_for(rules.kind)
    current = feature_set(pipeline).names if current_features is None else current_features
    join = rules.join_field if rules.join_field != "event_id" else None
    full = to_frame(dataset, task, join)
    frame = full if model.features == "all" else full.select(model.features)
    cutoff = dataset.identity.cutoff_ms
    split = split_by_time(
        within_lookback(frame, model.data, cutoff),
        model.split,
        cutoff,
        rules.expected_delay_ms,
        since_ms,
    )
    expected = (0, 1) if task == "binary" else (spec.labels.classes or ()) if spec.labels else ()
    checks = data_checks(
        split.train, (split.validation, split.holdout), task, model.gates, current, expected
    )
    if not all(g.passed for g in checks):
        raise DataCheckFailed(checks)

    timer = _Timer()
    fit_rows, weights = training_rows(
        split.train, model.data, task == "binary", model.seed, after_drift
    )
    fitted = build_pipeline(model, task, frame)
    # equal weights are no weights: histogram gradient boosting bins weighted data with a
    # sort per bin edge (13 s instead of 0.3 s on 111k rows)
    weighting = None if bool(np.all(weights == 1.0)) else weights
    fitted.fit(fit_rows.data, fit_rows.data["label"].to_numpy(), model__sample_weight=weighting)
    timer.lap("fit")

    name = model.name or spec.name
    onnx_bytes = to_onnx(fitted, frame.numeric, frame.categorical, name)
    timer.lap("export")

    classes = tuple(str(c) for c in getattr(fitted.steps[-1][1], "classes_", ()))
    on = {"validation": split.validation.data, "holdout": split.holdout.data}
    validation = sklearn_predictions(fitted, on["validation"], task)
    threshold = None
    if task == "binary":
        threshold = choose_threshold(
            on["validation"]["label"].to_numpy(), validation, model.threshold or ThresholdRule()
        )
    parity, _, holdout_predictions = check_parity(
        fitted, onnx_bytes, on["holdout"], task, threshold, model.gates.parity_tolerance
    )
    predictions = {
        "train": sklearn_predictions(fitted, fit_rows.data, task),
        "validation": validation,
        "holdout": holdout_predictions,  # ONNX's: what serving answers, and the champion's
    }
    parts = {"train": fit_rows.data, **on}
    labels = {part: rows["label"].to_numpy() for part, rows in parts.items()}
    primary = model.metric_for(task)
    metrics = version_metrics(task, labels, predictions, threshold, classes, model)
    profile = reference_profile(
        split.train,
        _prediction_profile(task, holdout_predictions, classes),
        feature_set(pipeline).filling_ms(),
        # the dataset reads the topics whole: its first event is the stream's start
        int(full.data["event_time"].min()),
        (split.validation, split.holdout),
    )
    timer.lap("evaluate")

    parity_gate = GateResult(
        "parity",
        parity.passed,
        parity.reason
        or f"max abs diff {parity.max_abs_diff:.2g}, no decision changed on {parity.rows} rows",
    )
    kept = full.data.columns.drop("label_source")
    found = estimator_for(model.algorithm, task)
    assert found is not None  # the spec check refuses the pair
    return TrainedModel(
        model_name=name,
        task=task,
        algorithm=found[0],
        framework=f"scikit-learn=={sklearn.__version__}",
        params={**fitted.steps[-1][1].get_params(), "seed": model.seed},
        onnx_model=onnx_bytes,
        onnx_sha256=sha256(onnx_bytes),
        signature=signature(onnx_bytes),
        feature_names=frame.features,
        classes=classes,
        threshold=threshold,
        metrics=metrics,
        primary_metric=primary,
        training_window={
            "start": int(split.train.data["event_time"].min()),
            "end": int(split.holdout.data["event_time"].max()) + 1,
            "train_count": len(fit_rows.data),
            "holdout_count": len(split.holdout.data),
        },
        reference_profile=profile,
        holdout=Holdout(split.holdout.data[[c for c in kept]], holdout_predictions),
        parity=parity,
        gates=(*checks, parity_gate),
        rows={**split.counts(), "sampled_out": len(split.train.data) - len(fit_rows.data)},
        durations_s=timer.laps,
    )


def _prediction_profile(task: Task, predictions: np.ndarray, classes: tuple[str, ...]) -> Any:
    if task == "multiclass":
        top = np.asarray(classes, dtype=object)[np.argmax(predictions, axis=1)]
        return categorical_profile("prediction", top)
    return numeric_profile("prediction", predictions)


def evaluate_champion(onnx_bytes: bytes, holdout: Holdout, task: Task) -> np.ndarray:
    """The champion's predictions on the candidate's holdout rows."""
    sess = session(onnx_bytes)
    missing = [i.name for i in sess.get_inputs() if i.name not in holdout.data.columns]
    if missing:
        raise ChampionIncompatible(f"the champion reads {', '.join(missing)}: not in the data")
    return onnx_predictions(sess, holdout.data, task)


def champion_gate(
    candidate: TrainedModel,
    champion_predictions: np.ndarray,
    champion_threshold: float | None,
    model: ModelSpec,
) -> GateResult:
    """Whether the candidate beats the champion on the same holdout, as the spec's gates ask."""
    return beats_champion(
        candidate.holdout.labels,
        candidate.holdout.predictions,
        champion_predictions,
        candidate.primary_metric,
        candidate.task,
        model.gates,
        model.seed,
        (candidate.threshold, champion_threshold),
        candidate.classes,
    )


class _Timer:
    """Wall time of consecutive steps."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self._last
        self._last = now
