"""The ONNX Runtime implementation on graphs exported as training exports them: binary,
multiclass and regression, null values, bad artifacts and inputs."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
from onnx import TensorProto, helper
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from streamops_serving.runtime.base import ModelLoadError, PredictError
from streamops_serving.runtime.onnx import PACKED, OnnxRuntime
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


def test_the_float_inputs_are_fed_packed_and_answer_as_the_graph_as_exported() -> None:
    target = (_FRAME["amount"] > 55).astype(int).to_numpy()
    _, exported = _fit(RandomForestClassifier(n_estimators=5, max_depth=4), target)
    runtime = OnnxRuntime("BINARY_CLASSIFICATION")
    runtime.load(exported)
    assert runtime._session is not None
    fed = [i.name for i in runtime._session.get_inputs()]
    assert fed == [PACKED, "channel"]  # amount and count_1h travel together
    assert [i.name for i in runtime.inputs] == ["amount", "count_1h", "channel"]
    frame = _FRAME.head(50).astype(object)
    frame.loc[::7, "amount"] = None
    frame.loc[::5, "channel"] = None
    columns = _columns(frame)
    as_exported = ort.InferenceSession(exported, providers=["CPUExecutionProvider"])
    feeds = {
        "amount": np.array(columns["amount"], np.float32).reshape(-1, 1),
        "count_1h": np.array(columns["count_1h"], np.float32).reshape(-1, 1),
        "channel": np.array([c or "" for c in columns["channel"]], object).reshape(-1, 1),
    }
    [expected] = as_exported.run(["probabilities"], feeds)
    out = runtime.predict(columns)
    assert out.probabilities is not None
    assert np.array_equal(out.probabilities, expected.astype(np.float64))  # to the bit
    for r in (0, 7, 10):  # one row at a time takes the other path
        one = runtime.predict({k: v[r : r + 1] for k, v in columns.items()})
        assert one.probabilities is not None
        assert np.array_equal(one.probabilities[0], expected[r].astype(np.float64))
    with pytest.raises(PredictError, match="count_1h: expected"):
        runtime.predict({"amount": [1.0], "count_1h": ["x"], "channel": ["web"]})
    with pytest.raises(PredictError, match="count_1h: expected"):
        runtime.predict({"amount": [1.0, 2.0], "count_1h": [1.0, "x"], "channel": ["a", "b"]})


@pytest.mark.parametrize("opset", [13, 17, 18])
def test_packing_writes_the_split_of_the_graphs_opset(opset: int) -> None:
    # variable = a - b, a null (NaN) read as 0
    a, b = (helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N", 1]) for n in "ab")
    out = helper.make_tensor_value_info("variable", TensorProto.FLOAT, ["N", 1])
    nodes = [
        node
        for n in "ab"
        for node in (
            helper.make_node("IsNaN", [n], [f"{n}_nan"]),
            helper.make_node("Where", [f"{n}_nan", "zero", n], [f"{n}_0"]),
        )
    ]
    nodes.append(helper.make_node("Sub", ["a_0", "b_0"], ["variable"]))
    zero = helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])
    graph = helper.make_graph(nodes, "g", [a, b], [out], initializer=[zero])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    runtime = OnnxRuntime("REGRESSION")
    runtime.load(model.SerializeToString())
    assert runtime._session is not None
    assert [i.name for i in runtime._session.get_inputs()] == [PACKED]
    result = runtime.predict({"b": [1.0, 0.5, None], "a": [3.0, 2.0, 1.0]})
    assert result.values is not None and result.values.tolist() == [2.0, 1.5, 1.0]
    one = runtime.predict({"a": [None], "b": [1.25]})
    assert one.values is not None and one.values.tolist() == [-1.25]
    with pytest.raises(PredictError, match=r"float32\): b: inf"):
        runtime.predict({"a": [3.0, 1.0], "b": [1.0, 1e39]})
    with pytest.raises(PredictError, match=r"float32\): a: inf"):
        runtime.predict({"a": [1e39], "b": [1.0]})
