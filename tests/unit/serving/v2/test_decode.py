"""Request bodies in, InferRequest out: every datatype, as JSON and as binary tensor data."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from streamops_serving.v2.codec import decode_request
from streamops_serving.v2.types import InferRequest, RequestedOutput
from tests.unit.serving.v2.wire import SAMPLES, WIRE_DTYPES, Tensor, request_body


def expected(datatype: str, data: list[Any]) -> NDArray[Any]:
    return np.array(data, dtype=WIRE_DTYPES[datatype])


def decode(*inputs: Tensor, **request: Any) -> InferRequest:
    body, header_length = request_body(list(inputs), **request)
    return decode_request(body, header_length)


def assert_tensor_equal(actual: NDArray[Any], wanted: NDArray[Any]) -> None:
    assert actual.shape == wanted.shape
    assert actual.dtype == wanted.dtype
    assert actual.tolist() == wanted.tolist()


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
@pytest.mark.parametrize("datatype", list(SAMPLES))
def test_every_datatype_decodes_to_its_dtype_and_shape(datatype: str, binary: bool) -> None:
    data = SAMPLES[datatype]
    request = decode(Tensor("x", datatype, data, [2, 3], binary=binary))
    (tensor,) = request.inputs
    assert (tensor.name, tensor.datatype, tensor.shape) == ("x", datatype, (2, 3))
    assert_tensor_equal(tensor.data, expected(datatype, data))


@pytest.mark.parametrize("datatype", list(SAMPLES))
def test_flat_and_nested_json_data_decode_alike(datatype: str) -> None:
    data = SAMPLES[datatype]
    nested = decode(Tensor("x", datatype, data, [2, 3])).inputs[0].data
    flat = decode(Tensor("x", datatype, data, [2, 3], nested=False)).inputs[0].data
    assert_tensor_equal(flat, nested)


def test_bytes_are_utf8_strings_and_other_bytes_stay_bytes() -> None:
    raw = [b"caf\xc3\xa9", b"\xff\xfe", b""]
    request = decode(Tensor("text", "BYTES", raw, [3], binary=True))
    assert request.inputs[0].data.tolist() == ["café", b"\xff\xfe", ""]


def test_binary_and_json_inputs_mix_in_input_order() -> None:
    request = decode(
        Tensor("amount", "FP32", [[12.5]], [1, 1], binary=True),
        Tensor("country", "BYTES", [["DE"]], [1, 1]),
        Tensor("merchant", "BYTES", [["Bäckerei"]], [1, 1], binary=True),
        Tensor("hour", "INT64", [[23]], [1, 1]),
        Tensor("count", "INT32", [[3]], [1, 1], binary=True),
    )
    assert [tensor.name for tensor in request.inputs] == [
        "amount",
        "country",
        "merchant",
        "hour",
        "count",
    ]
    assert [tensor.data.tolist() for tensor in request.inputs] == [
        [[12.5]],
        [["DE"]],
        [["Bäckerei"]],
        [[23]],
        [[3]],
    ]


def test_a_binary_tensor_at_a_misaligned_offset_is_aligned() -> None:
    # 4 + 1 bytes of BYTES put the FP64 tensor at an odd offset in the body.
    request = decode(
        Tensor("tag", "BYTES", ["x"], [1], binary=True),
        Tensor("score", "FP64", [0.25, 0.5], [2], binary=True),
    )
    score = request.inputs[1].data
    assert score.flags.aligned
    assert score.tolist() == [0.25, 0.5]


def test_uint64_json_past_int64_stays_exact() -> None:
    # numpy infers float64 from [1, 2**63]; the codec must not round through it.
    request = decode(Tensor("id", "UINT64", [1, 2**63 + 1], [2]))
    assert request.inputs[0].data.tolist() == [1, 2**63 + 1]


def test_integers_are_fine_float_values() -> None:
    request = decode(Tensor("x", "FP32", [1, 2.5], [2]))
    assert request.inputs[0].data.tolist() == [1.0, 2.5]


@pytest.mark.parametrize("datatype", ["FP16", "FP32", "FP64"])
def test_a_few_numbers_wait_for_their_array_and_read_as_it_would(datatype: str) -> None:
    third = 1 / 3  # not a float32 (nor float16): it rounds to the datatype
    one, two = decode(
        Tensor("one", datatype, [third], [1, 1]), Tensor("two", datatype, [2, third], [1, 2])
    ).inputs
    assert one.array is None and one.values == [third]  # no array made yet
    wanted = expected(datatype, [[third]])
    assert one.first() == wanted.item(0) and type(one.first()) is float
    assert one.first() != third or datatype == "FP64"
    assert_tensor_equal(one.data, wanted)
    assert one.first() == wanted.item(0)  # the same once the array is made
    assert (one.size, two.size) == (1, 2)
    assert_tensor_equal(two.data, expected(datatype, [[2, third]]))
    # anything else is an array at once
    nested, text = decode(
        Tensor("nested", datatype, [[1.0]], [1, 1]), Tensor("text", "BYTES", ["a"], [1])
    ).inputs
    assert nested.array is not None and text.array is not None and text.first() == "a"


def test_empty_and_scalar_shapes() -> None:
    request = decode(
        Tensor("none", "FP32", [], [0, 3]),
        Tensor("none_binary", "BYTES", [], [0], binary=True),
        Tensor("scalar", "INT64", [7], []),
    )
    assert [tensor.data.shape for tensor in request.inputs] == [(0, 3), (0,), ()]
    assert request.inputs[2].data.tolist() == 7


def test_request_id_parameters_and_requested_outputs() -> None:
    request = decode(
        Tensor("x", "FP32", [1.0], [1]),
        request_id="req-7",
        parameters={"binary_data_output": True, "priority": 2},
        outputs=[
            {"name": "label"},
            {"name": "probability", "parameters": {"binary_data": False}},
        ],
    )
    assert request.id == "req-7"
    assert request.parameters == {"binary_data_output": True, "priority": 2}
    assert request.binary_output is True
    # An output without its own binary_data takes the request's binary_data_output.
    assert request.outputs == (
        RequestedOutput("label", True),
        RequestedOutput("probability", False),
    )


def test_defaults_without_id_parameters_or_outputs() -> None:
    request = decode(Tensor("x", "BOOL", [True], [1]))
    assert (request.id, request.parameters, request.outputs) == (None, {}, ())
    assert request.binary_output is False


def test_all_json_body_with_a_header_length_of_the_whole_body() -> None:
    body = json.dumps(
        {"inputs": [{"name": "x", "shape": [1], "datatype": "INT8", "data": [3]}]}
    ).encode()
    request = decode_request(body, len(body))
    assert request.inputs[0].data.tolist() == [3]
