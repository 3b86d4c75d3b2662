"""The Open Inference Protocol through the standard client, `tritonclient.http`, unchanged:
raw event fields as named inputs and the model's features as inputs, JSON and binary."""

from __future__ import annotations

import numpy as np
import pytest
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

from tests.integration.serving.conftest import Served
from tests.support.serving import MODEL, feature_kinds

_TYPES = {int: "INT64", float: "FP64", str: "BYTES", bool: "BOOL"}


def _client(served: Served) -> triton.InferenceServerClient:
    return triton.InferenceServerClient(served.server.url.removeprefix("http://"))


def _input(name: str, values: list[object], binary: bool) -> triton.InferInput:
    kind = _TYPES[type(next(v for v in values if v is not None))]
    tensor = triton.InferInput(name, [len(values)], kind)
    array = np.array(values, dtype=object if kind == "BYTES" else None)
    tensor.set_data_from_numpy(array, binary_data=binary)
    return tensor


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_raw_events_as_named_inputs(served: Served, binary: bool) -> None:
    events = [served.event() for _ in range(3)]
    names = [n for n in events[0] if all(e[n] is not None for e in events)]
    client = _client(served)
    assert client.is_server_live() and client.is_server_ready()
    assert client.is_model_ready(MODEL)
    inputs = [_input(n, [e[n] for e in events], binary) for n in names]
    outputs = [triton.InferRequestedOutput(n, binary_data=binary) for n in ("score", "label")]
    result = client.infer(MODEL, inputs, outputs=outputs, request_id="req-1")
    scores = result.as_numpy("score")
    labels = result.as_numpy("label")
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    assert [x.decode() if isinstance(x, bytes) else x for x in labels] == [
        "1" if s >= served.champion.threshold else "0" for s in scores
    ]
    assert result.get_response()["model_name"] == MODEL
    assert result.get_response()["id"] == "req-1"


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_the_features_as_inputs_of_a_named_version(served: Served, binary: bool) -> None:
    numeric, categorical = feature_kinds(served.pipeline)
    inputs = []
    for name in numeric:
        tensor = triton.InferInput(name, [2, 1], "FP32")
        tensor.set_data_from_numpy(np.array([[1.0], [2.0]], np.float32), binary_data=binary)
        inputs.append(tensor)
    for name in categorical:
        tensor = triton.InferInput(name, [2, 1], "BYTES")
        tensor.set_data_from_numpy(np.array([["web"], [""]], object), binary_data=binary)
        inputs.append(tensor)
    client, version = _client(served), served.champion.version
    result = client.infer(MODEL, inputs, model_version=str(version))
    probabilities = result.as_numpy("probabilities")
    assert probabilities.shape == (2, 2)
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert list(result.as_numpy("model_version")) == [version, version]
    metadata = client.get_model_metadata(MODEL)
    assert {i["name"] for i in metadata["inputs"]} == {*numeric, *categorical}
    assert str(version) in metadata["versions"]
    # one row (the server's shorter path) answers as the first row of the two did
    one = []
    for tensor in inputs:
        text = tensor.datatype() == "BYTES"
        single = triton.InferInput(tensor.name(), [1, 1], tensor.datatype())
        first = np.array([["web"]], object) if text else np.array([[1.0]], np.float32)
        single.set_data_from_numpy(first, binary_data=binary)
        one.append(single)
    alone = client.infer(MODEL, one, model_version=str(version)).as_numpy("probabilities")
    assert alone.tolist() == probabilities[:1].tolist()


def test_protocol_errors(served: Served) -> None:
    client = _client(served)
    tensor = triton.InferInput("no_such_input", [1], "FP32")
    tensor.set_data_from_numpy(np.array([1.0], np.float32))
    with pytest.raises(InferenceServerException, match="no_such_input"):
        client.infer(MODEL, [tensor])
    numeric, categorical = feature_kinds(served.pipeline)
    inputs = []
    for name in [*numeric, *categorical]:
        wide = name == numeric[0]  # two values in one row's feature
        tensor = triton.InferInput(name, [1, 2 if wide else 1], "BYTES")
        tensor.set_data_from_numpy(np.array([["1", "2"] if wide else ["1"]], object))
        inputs.append(tensor)
    with pytest.raises(InferenceServerException, match=f"{numeric[0]}.*one value per row"):
        client.infer(MODEL, inputs)
    with pytest.raises(InferenceServerException, match="unknown model"):
        client.infer("another-model", [tensor])
    with pytest.raises(InferenceServerException, match="not loaded"):
        client.get_model_metadata(MODEL, model_version="99")
    assert not client.is_model_ready(MODEL, model_version="99")
