"""ONNX export with the preprocessing inside, and the parity gate that checks it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from streamops.pipeline.model_spec import ModelSpec, Task
from streamops_training.estimators import build_pipeline
from streamops_training.export import session, signature, to_onnx
from streamops_training.frame import Frame
from streamops_training.parity import check_parity, compare, onnx_predictions

_CLASSES = np.array(["card", "cash", "wire"], dtype=object)


def _frame(n: int, seed: int, task: Task, categories: tuple[str, ...] = ("a", "b", "c")) -> Frame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n).astype(np.float32)
    x[rng.random(n) < 0.1] = np.nan
    y = rng.lognormal(size=n).astype(np.float32)
    c = rng.choice(np.array([*categories, ""], dtype=object), n)
    signal = np.nan_to_num(x) + (c == "a") - 0.3 * y
    label: np.ndarray
    if task == "binary":
        label = (signal + rng.normal(size=n) > 0.5).astype(np.int64)
    elif task == "multiclass":
        label = _CLASSES[np.digitize(signal, [-0.5, 0.5])]
    else:
        label = (3 * signal + rng.normal(size=n)).astype(np.float64)
    data = pd.DataFrame(
        {"event_id": [f"e{i}" for i in range(n)], "label": label, "x": x, "y": y, "c": c}
    )
    return Frame(data, ("x", "y"), ("c",))


@pytest.mark.parametrize(
    ("algorithm", "task"),
    [
        ("hist_gradient_boosting", "binary"),
        ("random_forest", "binary"),
        ("logistic_regression", "binary"),
        ("hist_gradient_boosting", "multiclass"),
        ("logistic_regression", "multiclass"),
        ("hist_gradient_boosting", "regression"),
        ("random_forest", "regression"),
        ("linear_regression", "regression"),
    ],
)
def test_onnx_answers_as_sklearn_also_for_unseen_and_missing_categories(
    algorithm: str, task: Task
) -> None:
    model = ModelSpec.model_validate({"algorithm": algorithm, "params": _small(algorithm)})
    train = _frame(3000, 1, task)
    fitted = build_pipeline(model, task, train).fit(train.data, train.data["label"].to_numpy())
    onnx_bytes = to_onnx(fitted, train.numeric, train.categorical, "m")
    # the holdout's categories include ones training never saw, and missing ones
    holdout = _frame(2000, 2, task, categories=("a", "zz", "unseen"))
    parity, expected, actual = check_parity(fitted, onnx_bytes, holdout.data, task, 0.5, 1e-4)
    assert parity.passed, parity.reason
    assert parity.rows == 2000 and parity.max_abs_diff <= 1e-4
    assert np.allclose(expected, actual, atol=1e-4)


def test_the_same_fit_gives_the_same_bytes_and_a_readable_signature() -> None:
    train = _frame(2000, 1, "binary")
    model = ModelSpec(params={"max_iter": 20}, seed=5)
    first, second = (
        build_pipeline(model, "binary", train).fit(train.data, train.data["label"].to_numpy())
        for _ in range(2)
    )
    data = to_onnx(first, train.numeric, train.categorical, "fraud-detector")
    assert data == to_onnx(second, train.numeric, train.categorical, "fraud-detector")
    assert signature(data) == {
        "inputs": [
            {"name": "x", "dtype": "float", "shape": [-1, 1]},
            {"name": "y", "dtype": "float", "shape": [-1, 1]},
            {"name": "c", "dtype": "string", "shape": [-1, 1]},
        ],
        "outputs": [
            {"name": "label", "dtype": "int64", "shape": [-1]},
            {"name": "probabilities", "dtype": "float", "shape": [-1, 2]},
        ],
    }


def test_a_float32_tree_threshold_that_flips_a_prediction_is_rejected_with_its_reason() -> None:
    # two values one double ulp-ish apart, equal in float32: the tree splits between them
    # in double, but ONNX reads both as the same float32 and sends them down one branch
    low, high = 1.0, 1.0 + 1e-9
    assert np.float32(low) == np.float32(high) and low != high
    n = 400
    x = np.where(np.arange(n) % 2 == 0, low, high)
    data = pd.DataFrame({"x": x, "c": ["a"] * n, "label": (x == high).astype(np.int64)})
    frame = Frame(data, ("x",), ("c",))
    model = ModelSpec(params={"max_iter": 5, "min_samples_leaf": 5})
    fitted = build_pipeline(model, "binary", frame).fit(data, data["label"].to_numpy())
    onnx_bytes = to_onnx(fitted, ("x",), ("c",), "m")
    parity, expected, _ = check_parity(fitted, onnx_bytes, data, "binary", 0.5, 1e-4)
    assert ((expected >= 0.5) == data["label"].to_numpy().astype(bool)).all()  # sklearn is right
    assert not parity.passed
    assert parity.flips == n // 2
    assert parity.reason is not None
    assert "200 of 400 holdout rows change their decision at the threshold 0.5" in parity.reason
    assert "differ by up to" in parity.reason


def test_compare_measures_differences_and_decisions() -> None:
    expected = np.array([0.1, 0.49999, 0.9])
    close = compare(expected, expected + 5e-5, "binary", 0.3, 1e-4)
    assert close.passed and close.flips == 0 and close.max_abs_diff == pytest.approx(5e-5)
    crossing = compare(expected, expected + 5e-5, "binary", 0.5, 1e-4)  # 0.49999 -> 0.50004
    assert not crossing.passed and crossing.flips == 1
    assert crossing.reason == "1 of 3 holdout rows change their decision at the threshold 0.5"
    assert not compare(expected, expected + 1e-3, "binary", 0.5, 1e-4).passed
    # regression: relative to the value's size
    big = np.array([1000.0, 0.5])
    assert compare(big, big + np.array([0.05, 0.0]), "regression", None, 1e-4).passed
    assert not compare(big, big + np.array([0.0, 0.001]), "regression", None, 1e-4).passed
    assert not compare(np.array([]), np.array([]), "binary", 0.5, 1e-4).passed


def test_onnx_predictions_take_the_frame_columns_by_name() -> None:
    train = _frame(1000, 1, "binary")
    fitted = build_pipeline(ModelSpec(params={"max_iter": 5}), "binary", train).fit(
        train.data, train.data["label"].to_numpy()
    )
    sess = session(to_onnx(fitted, train.numeric, train.categorical, "m"))
    shuffled = train.data[["c", "label", "y", "x", "event_id"]]  # column order is irrelevant
    assert np.allclose(
        onnx_predictions(sess, shuffled, "binary"),
        fitted.predict_proba(train.data)[:, 1],
        atol=1e-5,
    )


def _small(algorithm: str) -> dict[str, int]:
    return {"hist_gradient_boosting": {"max_iter": 30}, "random_forest": {"n_estimators": 10}}.get(
        algorithm, {}
    )
