"""The estimators a spec names: the library's param lists match scikit-learn's own."""

from __future__ import annotations

import importlib

import pytest

from streamops.pipeline.model_spec import ESTIMATORS, MANAGED_PARAMS, ModelSpec
from streamops_training.estimators import ModelSpecError, build_pipeline, estimator
from streamops_training.frame import Frame


@pytest.mark.parametrize(("key", "entry"), list(ESTIMATORS.items()), ids=str)
def test_the_spec_knows_each_estimators_own_param_names(
    key: tuple[str, bool], entry: tuple[str, frozenset[str]]
) -> None:
    module, _, name = entry[0].rpartition(".")
    own = set(getattr(importlib.import_module(module), name)().get_params())
    assert entry[1] == own - set(MANAGED_PARAMS)


def test_seed_class_weight_and_params_reach_the_estimator() -> None:
    model = ModelSpec(
        algorithm="random_forest", params={"n_estimators": 7}, class_weight={"1": 10.0}, seed=3
    )
    built = estimator(model, "binary")
    assert built.get_params()["random_state"] == 3
    assert built.get_params()["n_estimators"] == 7
    assert built.get_params()["class_weight"] == {1: 10.0}
    assert estimator(ModelSpec(algorithm="linear_regression"), "regression").get_params()[
        "fit_intercept"
    ]


def test_a_param_value_scikit_learn_refuses_is_a_spec_error() -> None:
    with pytest.raises(ModelSpecError, match="learning_rate"):
        estimator(ModelSpec(params={"learning_rate": -1.0}), "binary")


@pytest.mark.parametrize(
    ("algorithm", "task", "steps"),
    [
        ("hist_gradient_boosting", "binary", ("passthrough", "OrdinalEncoder")),
        ("random_forest", "regression", ("Pipeline", "OrdinalEncoder")),
        ("logistic_regression", "multiclass", ("Pipeline", "OneHotEncoder")),
    ],
)
def test_each_algorithm_gets_the_encoding_it_needs(
    algorithm: str, task: str, steps: tuple[str, str]
) -> None:
    import pandas as pd

    frame = Frame(pd.DataFrame(), ("x",), ("c",))
    model = ModelSpec.model_validate({"algorithm": algorithm})
    prepare = build_pipeline(model, task, frame).named_steps["prepare"]  # type: ignore[arg-type]
    kinds = tuple(t if isinstance(t, str) else type(t).__name__ for _, t, _ in prepare.transformers)
    assert kinds == steps
