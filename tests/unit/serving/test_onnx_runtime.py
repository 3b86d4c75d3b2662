"""The ONNX Runtime implementation on graphs exported as training exports them: binary,
multiclass and regression, null values, bad artifacts and inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from streamops_serving.runtime.base import ModelLoadError, PredictError
from streamops_serving.runtime.onnx import OnnxRuntime
from streamops_training.export import to_onnx

_RNG = np.random.default_rng(3)
_FRAME = pd.DataFrame(
    {
        "amount": _RNG.normal(50, 20, 300),
        "count_1h": _RNG.integers(0, 9, 300).astype(float),
        "channel": _RNG.choice(["web", "pos", "app"], 300),
    }
)


def _fit(model: object, target: np.ndarray) -> tuple[Pipeline, bytes]:
    pipeline = Pipeline(
        [
            (
                "prepare",
                ColumnTransformer(
                    [
                        ("num", SimpleImputer(), ["amount", "count_1h"]),
                        ("cat", OneHotEncoder(handle_unknown="ignore"), ["channel"]),
                    ]
                ),
            ),
            ("model", model),
        ]
    )
    pipeline.fit(_FRAME, target)
    return pipeline, to_onnx(pipeline, ("amount", "count_1h"), ("channel",), "m")


def _columns(frame: pd.DataFrame) -> dict[str, list[object]]:
    return {c: frame[c].tolist() for c in frame.columns}


def test_a_binary_classifier_gives_the_positive_class_probability() -> None:
    target = (_FRAME["amount"] > 55).astype(int).to_numpy()
    fitted, onnx = _fit(LogisticRegression(), target)
    runtime = OnnxRuntime("BINARY_CLASSIFICATION")
    runtime.load(onnx)
    assert runtime.classes == ("0", "1")
    assert {i.name: i.numeric for i in runtime.inputs} == {
        "amount": True,
        "count_1h": True,
        "channel": False,
    }
    out = runtime.predict(_columns(_FRAME.head(20)))
    expected = fitted.predict_proba(_FRAME.head(20))[:, 1]
    assert out.values is not None and np.allclose(out.values, expected, atol=1e-5)
    # nulls: NaN for numbers (imputed in the graph), the empty string for categories
    row = runtime.predict({"amount": [None], "count_1h": [1.0], "channel": [None]})
    assert row.values is not None and 0 <= row.values[0] <= 1
    # the same in a batch, where the columns are converted whole
    batch = runtime.predict(
        {"amount": [None, 50.0], "count_1h": [1.0, None], "channel": [None, "web"]}
    )
    other = runtime.predict({"amount": [50.0], "count_1h": [None], "channel": ["web"]})
    assert batch.values is not None and other.values is not None
    assert np.allclose(batch.values, [row.values[0], other.values[0]], rtol=1e-6)


def test_a_multiclass_classifier_names_its_classes() -> None:
    target = np.where(_FRAME["amount"] > 60, "high", np.where(_FRAME["amount"] < 40, "low", "mid"))
    fitted, onnx = _fit(LogisticRegression(max_iter=500), target)
    runtime = OnnxRuntime("MULTICLASS_CLASSIFICATION")
    runtime.load(onnx)
    assert runtime.classes == ("high", "low", "mid")
    out = runtime.predict(_columns(_FRAME.head(10)))
    assert out.values is None and out.probabilities is not None
    assert np.allclose(out.probabilities, fitted.predict_proba(_FRAME.head(10)), atol=1e-5)


def test_a_regressor_gives_its_value() -> None:
    target = (2 * _FRAME["amount"] + _FRAME["count_1h"]).to_numpy()
    fitted, onnx = _fit(LinearRegression(), target)
    runtime = OnnxRuntime("REGRESSION")
    runtime.load(onnx)
    out = runtime.predict(_columns(_FRAME.head(10)))
    assert out.probabilities is None and out.values is not None
    assert np.allclose(out.values, fitted.predict(_FRAME.head(10)), rtol=1e-4)


def test_bad_artifacts_and_inputs_are_named() -> None:
    with pytest.raises(ModelLoadError, match="not a loadable ONNX model"):
        OnnxRuntime("REGRESSION").load(b"not onnx")
    _, classifier = _fit(LogisticRegression(), (_FRAME["amount"] > 55).astype(int).to_numpy())
    with pytest.raises(ModelLoadError, match="variable"):
        OnnxRuntime("REGRESSION").load(classifier)  # a classifier is not a regressor
    runtime = OnnxRuntime("BINARY_CLASSIFICATION")
    runtime.load(classifier)
    with pytest.raises(PredictError, match="count_1h"):
        runtime.predict({"amount": [1.0], "channel": ["web"]})
    with pytest.raises(PredictError, match="amount"):
        runtime.predict({"amount": ["lots"], "count_1h": [1.0], "channel": ["web"]})
    with pytest.raises(PredictError, match="amount"):
        runtime.predict({"amount": [2.0, "lots"], "count_1h": [1.0, 1.0], "channel": ["a", "b"]})
