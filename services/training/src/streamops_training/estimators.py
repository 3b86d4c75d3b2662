"""The scikit-learn Pipeline a spec's ``model:`` section describes: encoding, scaling, model.

One ``ColumnTransformer`` feeds the estimator, so the whole pipeline exports to one ONNX
graph (no transform outside it, no train/serve skew):

- numbers: trees take them as they come (histogram gradient boosting routes NaN itself);
  random forests and linear models get the training median for NaN, linear models then
  standard scaling;
- categories: trees get ordinal codes (-1 for a category unseen in training; the ONNX
  converter has no native categorical splits), linear models one-hot columns (all zero
  for an unseen category).

The seed is the estimator's ``random_state``; nothing else in a fit draws random numbers.
"""

from __future__ import annotations

import importlib
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from streamops.pipeline.model_spec import ModelSpec, Task, estimator_for
from streamops_training.frame import Frame

_LINEAR = ("logistic_regression", "linear_regression")


class ModelSpecError(ValueError):
    """A model section scikit-learn refuses (e.g. a param value out of its range)."""


def estimator(model: ModelSpec, task: Task) -> BaseEstimator:
    """The configured, unfitted estimator (ModelSpecError for a value it refuses)."""
    found = estimator_for(model.algorithm, task)
    if found is None:
        raise ModelSpecError(f"{model.algorithm} does not do {task}")
    module, _, name = found[0].rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    params: dict[str, Any] = dict(model.params)
    if "random_state" in cls().get_params():
        params["random_state"] = model.seed
    if task != "regression" and model.class_weight is not None:
        params["class_weight"] = class_weight(model.class_weight, task)
    try:
        built: BaseEstimator = cls(**params)
        built._validate_params()  # what fit would refuse, refused before any work
    except (TypeError, InvalidParameterError) as exc:
        raise ModelSpecError(f"model.params: {exc}") from exc
    return built


def class_weight(weights: str | dict[str, float], task: Task) -> str | dict[Any, float]:
    """The spec's class weights as the estimator takes them (binary classes are 0 and 1)."""
    if isinstance(weights, str):
        return weights
    return {int(k) if task == "binary" else k: v for k, v in weights.items()}


def preprocessing(algorithm: str, frame: Frame) -> ColumnTransformer:
    """Imputation, encoding and scaling of the frame's features, as the algorithm needs."""
    linear = algorithm in _LINEAR
    numeric: Any = "passthrough"
    if algorithm != "hist_gradient_boosting":
        steps: list[tuple[str, Any]] = [("impute", SimpleImputer(strategy="median"))]
        if linear:
            steps.append(("scale", StandardScaler()))
        numeric = Pipeline(steps)
    categorical: Any = (
        OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        if linear
        else OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    )
    parts = [("numeric", numeric, list(frame.numeric))]
    if frame.categorical:
        parts.append(("categorical", categorical, list(frame.categorical)))
    return ColumnTransformer(parts, sparse_threshold=0.0, verbose_feature_names_out=False)


def build_pipeline(model: ModelSpec, task: Task, frame: Frame) -> Pipeline:
    """The unfitted pipeline: ``prepare`` (the ColumnTransformer), then ``model``."""
    return Pipeline(
        [("prepare", preprocessing(model.algorithm, frame)), ("model", estimator(model, task))]
    )
