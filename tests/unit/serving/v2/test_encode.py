"""OutputTensors in, response body and headers out; and whole request-to-response round trips."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from streamops_serving.v2.codec import decode_request, encode_response, error_body
from streamops_serving.v2.types import InferRequest, OutputTensor, RequestedOutput, V2Error
from tests.unit.serving.v2.wire import (
    HEADER,
    SAMPLES,
    WIRE_DTYPES,
    Tensor,
    parse_response,
    request_body,
)

OUTPUTS = [
    OutputTensor("label", np.array([1, 0], dtype=np.int64)),
    OutputTensor("probability", np.array([[0.75], [0.25]], dtype=np.float32)),
]


def request(*outputs: RequestedOutput, binary_output: bool = False) -> InferRequest:
    return InferRequest("r", (), outputs, {}, binary_output)


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
@pytest.mark.parametrize("datatype", list(SAMPLES))
def test_every_datatype_round_trips_request_to_response(datatype: str, binary: bool) -> None:
    body, header_length = request_body(
        [Tensor("x", datatype, SAMPLES[datatype], [2, 3], binary=binary)],
        outputs=[{"name": "x", "parameters": {"binary_data": binary}}],
    )
    decoded = decode_request(body, header_length)
    echoed = [OutputTensor(tensor.name, tensor.data) for tensor in decoded.inputs]

    answer, headers = encode_response("echo", "1", decoded.id, echoed, decoded)

    document, arrays = parse_response(answer, headers)
    assert document["outputs"][0]["datatype"] == datatype
    wanted = np.array(SAMPLES[datatype], dtype=WIRE_DTYPES[datatype])
    if datatype == "BYTES" and binary:
        wanted = np.vectorize(str.encode, otypes=[object])(wanted)
    assert arrays["x"].shape == (2, 3)
    assert arrays["x"].tolist() == wanted.tolist()


def test_json_response_document_and_headers() -> None:
    body, headers = encode_response("fraud", "3", "req-1", OUTPUTS, parameters={"shadow": "v4"})
    assert headers == {"Content-Type": "application/json"}
    assert json.loads(body) == {
        "model_name": "fraud",
        "model_version": "3",
        "id": "req-1",
        "parameters": {"shadow": "v4"},
        "outputs": [
            {"name": "label", "datatype": "INT64", "shape": [2], "data": [1, 0]},
            {"name": "probability", "datatype": "FP32", "shape": [2, 1], "data": [0.75, 0.25]},
        ],
    }


def test_no_version_no_id_no_parameters_leave_those_fields_out() -> None:
    body, _ = encode_response("fraud", None, None, OUTPUTS[:1])
    assert set(json.loads(body)) == {"model_name", "outputs"}


def test_binary_data_output_sends_every_output_binary() -> None:
    body, headers = encode_response("fraud", "3", None, OUTPUTS, request(binary_output=True))
    assert headers["Content-Type"] == "application/octet-stream"
    header_length = int(headers[HEADER])
    document = json.loads(body[:header_length])
    assert [output["parameters"] for output in document["outputs"]] == [
        {"binary_data_size": 16},
        {"binary_data_size": 8},
    ]
    assert all("data" not in output for output in document["outputs"])
    assert body[header_length:] == OUTPUTS[0].data.tobytes() + OUTPUTS[1].data.tobytes()


def test_only_the_requested_outputs_in_the_requested_order_and_form() -> None:
    wanted = request(RequestedOutput("probability", True), RequestedOutput("label", False))
    body, headers = encode_response("fraud", "3", None, OUTPUTS, wanted)
    document, arrays = parse_response(body, headers)
    assert [output["name"] for output in document["outputs"]] == ["probability", "label"]
    assert "data" in document["outputs"][1]
    assert arrays["probability"].tolist() == [[0.75], [0.25]]
    assert arrays["label"].tolist() == [1, 0]


def test_a_requested_output_the_model_lacks_is_a_bad_request() -> None:
    with pytest.raises(V2Error) as raised:
        encode_response("fraud", "3", None, OUTPUTS, request(RequestedOutput("score", False)))
    assert raised.value.status == 400
    assert "'score'" in str(raised.value)


def test_an_empty_binary_output_still_makes_a_binary_response() -> None:
    empty = [OutputTensor("none", np.zeros((0, 2), dtype=np.float32))]
    body, headers = encode_response("m", None, None, empty, request(binary_output=True))
    document, arrays = parse_response(body, headers)
    assert document["outputs"][0]["parameters"] == {"binary_data_size": 0}
    assert arrays["none"].shape == (0, 2)


@pytest.mark.parametrize(
    ("array", "datatype"),
    [
        (np.array([True]), "BOOL"),
        (np.array([1], dtype=np.uint16), "UINT16"),
        (np.array([1.0], dtype=np.float16), "FP16"),
        (np.array([1.0]), "FP64"),
        (np.array(["a"], dtype=object), "BYTES"),
        (np.array(["a"]), "BYTES"),
        (np.array([b"a"]), "BYTES"),
        (np.array([1.0], dtype=">f4"), "FP32"),
    ],
)
def test_datatype_follows_the_array_dtype(array: Any, datatype: str) -> None:
    body, _ = encode_response("m", None, None, [OutputTensor("y", array)])
    assert json.loads(body)["outputs"][0]["datatype"] == datatype


def test_a_given_datatype_converts_the_array() -> None:
    outputs = [OutputTensor("y", np.array([1.0, 2.0]), "INT32")]
    body, headers = encode_response("m", None, None, outputs, request(binary_output=True))
    document, arrays = parse_response(body, headers)
    assert document["outputs"][0]["datatype"] == "INT32"
    assert arrays["y"].dtype == np.dtype("<i4")
    assert arrays["y"].tolist() == [1, 2]


def test_an_array_with_no_v2_datatype_is_a_server_error() -> None:
    with pytest.raises(V2Error) as raised:
        encode_response("m", None, None, [OutputTensor("y", np.array([1j]))])
    assert raised.value.status == 500
    assert "'y'" in str(raised.value)


def test_bytes_that_are_not_utf8_cannot_go_as_json() -> None:
    outputs = [OutputTensor("y", np.array([b"\xff"], dtype=object))]
    with pytest.raises(V2Error) as raised:
        encode_response("m", None, None, outputs)
    assert raised.value.status == 400
    assert "'y'" in str(raised.value)
    body, headers = encode_response("m", None, None, outputs, request(binary_output=True))
    assert parse_response(body, headers)[1]["y"].tolist() == [b"\xff"]


def test_error_body_is_the_protocol_error_object() -> None:
    assert json.loads(error_body("input 'x': bad")) == {"error": "input 'x': bad"}
