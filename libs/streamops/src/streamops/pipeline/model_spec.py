"""The spec's ``model:`` section, read by the training service (``retraining:`` is
`streamops.pipeline.retraining_spec`'s).

Each section checks its own shape here; what depends on other sections (the task against
``labels.kind``, feature names against ``features:``) is `check_model`'s, which
``streamops.pipeline.checks`` runs with the rest. The library does not import
scikit-learn: the estimators' parameter names are listed here, and a training test keeps
the lists equal to the estimators' own ``get_params()``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from streamops.pipeline.durations import Duration

if TYPE_CHECKING:
    from streamops.pipeline.spec import PipelineSpec

Task = Literal["binary", "multiclass", "regression"]
Algorithm = Literal[
    "logistic_regression", "linear_regression", "random_forest", "hist_gradient_boosting"
]

_TREE = "max_depth max_features max_leaf_nodes min_samples_leaf monotonic_cst verbose warm_start"
_FOREST = f"{_TREE} bootstrap ccp_alpha criterion max_samples min_impurity_decrease \
min_samples_split min_weight_fraction_leaf n_estimators n_jobs oob_score"
_HIST = f"{_TREE} early_stopping interaction_cst l2_regularization learning_rate loss max_bins \
max_iter n_iter_no_change scoring tol validation_fraction"
_LOGISTIC = "C dual fit_intercept intercept_scaling l1_ratio max_iter n_jobs penalty solver tol \
verbose warm_start"
#: (algorithm, classifier?) -> the scikit-learn estimator and the params the spec may set:
#: its get_params() names less random_state (model.seed), class_weight
#: (model.class_weight) and categorical_features (the job encodes categories itself).
ESTIMATORS: dict[tuple[str, bool], tuple[str, frozenset[str]]] = {
    (algorithm, classifier): (f"sklearn.{module}", frozenset(str.split(names)))
    for algorithm, classifier, module, names in (
        ("logistic_regression", True, "linear_model.LogisticRegression", _LOGISTIC),
        (
            "linear_regression",
            False,
            "linear_model.LinearRegression",
            "copy_X fit_intercept n_jobs positive tol",
        ),
        ("random_forest", True, "ensemble.RandomForestClassifier", _FOREST),
        ("random_forest", False, "ensemble.RandomForestRegressor", _FOREST),
        ("hist_gradient_boosting", True, "ensemble.HistGradientBoostingClassifier", _HIST),
        (
            "hist_gradient_boosting",
            False,
            "ensemble.HistGradientBoostingRegressor",
            f"{_HIST} quantile",
        ),
    )
}
#: Params the job sets from other fields of the spec, and which field.
MANAGED_PARAMS = {
    "random_state": "model.seed",
    "class_weight": "model.class_weight",
    "categorical_features": "the job's own encoding of string features",
}
#: Metric -> (the tasks it applies to, whether higher is better).
METRICS: dict[str, tuple[tuple[Task, ...], bool]] = {
    "pr_auc": (("binary",), True),
    "roc_auc": (("binary",), True),
    "f1": (("binary",), True),
    "macro_f1": (("multiclass",), True),
    "accuracy": (("multiclass",), True),
    "log_loss": (("binary", "multiclass"), False),
    "mae": (("regression",), False),
    "rmse": (("regression",), False),
    "r2": (("regression",), True),
}


def higher_is_better(metric: str) -> bool:
    """Whether a larger value of the metric (a key of `METRICS`) is the better one."""
    return METRICS[metric][1]


#: A ModelVersion's primary metric on its holdout as bad as the holdout's sampling noise
#: allows (training's bootstrap at the gates' confidence) is in its metrics as
#: ``{HOLDOUT_LOWER}.{metric}``. Monitoring holds the live figure against it rather than
#: against the holdout's one draw, which on a few dozen frauds may flatter the model by
#: several points.
HOLDOUT_LOWER = "holdout_lower"
DEFAULT_METRIC: dict[Task, str] = {
    "binary": "pr_auc",
    "multiclass": "macro_f1",
    "regression": "rmse",
}
_MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
KeyPath = tuple[str | int, ...]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def estimator_for(algorithm: str, task: Task) -> tuple[str, frozenset[str]] | None:
    """The estimator's dotted name and settable params, or None if the pair is not offered."""
    return ESTIMATORS.get((algorithm, task != "regression"))


class ThresholdRule(_Strict):
    """How a binary model's decision threshold is chosen on the validation split."""

    rule: Literal["max_f1", "target_precision"] = "max_f1"
    precision: float | None = Field(
        None, gt=0, le=1, description="target_precision: the lowest threshold reaching it."
    )

    @model_validator(mode="after")
    def _precision(self) -> ThresholdRule:
        if (self.rule == "target_precision") != (self.precision is not None):
            raise ValueError("precision goes with rule target_precision, and only with it")
        return self


class RecentWeight(_Strict):
    """After a drift alert, rows of the last ``window`` (event time) weigh ``factor`` times."""

    factor: float = Field(gt=1, description="How many times more a recent row weighs.")
    window: Duration


class DataPolicy(_Strict):
    """Which labelled rows a job trains on, and how much each weighs."""

    lookback: Duration | None = Field(
        None, description="Only rows within this much event time before the cut-off."
    )
    negative_sample: float | None = Field(
        None,
        gt=0,
        le=1,
        description="binary: keep this share of negatives (by seed), each weighing 1/share.",
    )
    recent_weight: RecentWeight | None = None

    @field_validator("lookback")
    @classmethod
    def _positive(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value <= timedelta(0):
            raise ValueError("lookback must be longer than zero")
        return value


class SplitShares(_Strict):
    """Time-ordered shares of the rows: oldest for training, then validation, newest holdout.

    A job an alert started takes the shares of the rows since the alert's window began."""

    validation: float = Field(0.15, gt=0, lt=0.5)
    holdout: float = Field(0.15, gt=0, lt=0.5)


class Gates(_Strict):
    """What a candidate must pass before it serves."""

    margin: float = Field(0.0, ge=0, description="Least gain of the primary metric.")
    confidence: float = Field(0.95, ge=0.5, lt=1, description="Paired bootstrap confidence.")
    bootstrap: int = Field(1000, ge=100, le=100_000, description="Bootstrap resamples.")
    parity_tolerance: float = Field(1e-4, gt=0, description="Largest ONNX vs sklearn diff.")
    min_labels: int = Field(1000, ge=1, description="Least labelled rows to train at all.")
    min_positives: int = Field(
        20, ge=1, description="Least rows of each class (binary: positives and negatives)."
    )


class ModelSpec(_Strict):
    """What to train: task, algorithm, params, metric, threshold, data policy, gates."""

    name: str | None = Field(None, description="Model name; default the pipeline's name.")
    task: Task | None = Field(None, description="Default: labels.kind.")
    algorithm: Algorithm = "hist_gradient_boosting"
    params: dict[str, Any] = Field(default_factory=dict, description="Estimator params.")
    class_weight: Literal["balanced"] | dict[str, float] | None = None
    features: Literal["all"] | list[str] = Field("all", description="Columns the model reads.")
    primary_metric: str | None = Field(None, description="Default: pr_auc, macro_f1 or rmse.")
    threshold: ThresholdRule | None = Field(None, description="binary only; default max_f1.")
    seed: int = Field(0, ge=0, lt=2**32)
    data: DataPolicy = Field(default_factory=DataPolicy)
    split: SplitShares = Field(default_factory=SplitShares)
    gates: Gates = Field(default_factory=Gates)
    intended_use: str = Field("", description="For the model card.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not _MODEL_NAME.fullmatch(value):
            raise ValueError("a model name is letters, digits, _ and -, at most 64")
        return value

    @field_validator("features")
    @classmethod
    def _features(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list) and (not value or len(set(value)) != len(value)):
            raise ValueError("give all, or a list of distinct feature names")
        return value

    @field_validator("class_weight")
    @classmethod
    def _weights(cls, value: Any) -> Any:
        if isinstance(value, dict) and any(w <= 0 for w in value.values()):
            raise ValueError("class weights must be greater than zero")
        return value

    @field_validator("primary_metric")
    @classmethod
    def _metric(cls, value: str | None) -> str | None:
        if value is not None and value not in METRICS:
            raise ValueError(f"unknown metric {value!r}; known: {', '.join(METRICS)}")
        return value

    def task_for(self, labels_kind: Task) -> Task:
        """The task: as given, else the labels' kind."""
        return self.task or labels_kind

    def metric_for(self, task: Task) -> str:
        """The primary metric: as given, else the task's default."""
        return self.primary_metric or DEFAULT_METRIC[task]


def check_model(spec: PipelineSpec, feature_names: list[str] | None) -> list[tuple[KeyPath, str]]:
    """What in the ``model:`` section does not fit the rest of the spec: (path, message)."""
    model = spec.model
    if model is None:
        return [(("retraining",), "retraining needs a model section")] if spec.retraining else []
    if spec.labels is None:  # training refuses such a spec itself, naming what is missing
        return []
    kind = spec.labels.kind
    task = model.task_for(kind)
    out: list[tuple[KeyPath, str]] = []
    if task != kind:
        out.append((("model", "task"), f"task {task} cannot learn from labels of kind {kind}"))
        return out
    found = estimator_for(model.algorithm, task)
    if found is None:
        out.append((("model", "algorithm"), f"{model.algorithm} does not do {task}"))
    else:
        for name in model.params:
            if name in MANAGED_PARAMS:
                out.append((("model", "params", name), f"set by {MANAGED_PARAMS[name]}"))
            elif name not in found[1]:
                out.append(
                    (
                        ("model", "params", name),
                        f"{found[0]} has no param {name!r} (it has: {', '.join(sorted(found[1]))})",
                    )
                )
    metric = model.metric_for(task)
    if task not in METRICS[metric][0]:
        out.append((("model", "primary_metric"), f"{metric} is not a {task} metric"))
    if model.threshold is not None and task != "binary":
        out.append((("model", "threshold"), f"a threshold is for binary models, not {task}"))
    if model.class_weight is not None and task == "regression":
        out.append((("model", "class_weight"), "class weights are for classification"))
    if isinstance(model.class_weight, dict):
        classes = ["0", "1"] if task == "binary" else spec.labels.classes
        for name in model.class_weight:
            if classes is not None and name not in classes:
                out.append((("model", "class_weight", name), f"not a class ({', '.join(classes)})"))
    if model.data.negative_sample is not None and task != "binary":
        out.append((("model", "data", "negative_sample"), "negative sampling is for binary"))
    if isinstance(model.features, list):
        for i, name in enumerate(model.features):
            if feature_names is None:
                out.append((("model", "features"), "there is no features section to read"))
                break
            if name not in feature_names:
                out.append((("model", "features", i), f"no feature {name!r}"))
    return out
