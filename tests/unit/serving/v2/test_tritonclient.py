"""The codec against Triton's own Python client: its request bodies in, our responses out."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from tritonclient.http import InferenceServerClient, InferInput, InferRequestedOutput

from streamops_serving.v2.codec import HEADER_LENGTH, decode_request, encode_response
from streamops_serving.v2.types import InferRequest, OutputTensor
from tests.unit.serving.v2.wire import SAMPLES, WIRE_DTYPES


def sample(datatype: str) -> NDArray[Any]:
    return np.array(SAMPLES[datatype], dtype=WIRE_DTYPES[datatype])


def client_request(binary: bool, outputs: list[InferRequestedOutput] | None) -> InferRequest:
    """Every datatype as one input, in a body tritonclient generated."""
    inputs = []
    for datatype in SAMPLES:
        tensor = InferInput(f"in_{datatype}", [2, 3], datatype)
        tensor.set_data_from_numpy(sample(datatype), binary_data=binary)
        inputs.append(tensor)
    body, header_length = InferenceServerClient.generate_request_body(
        inputs, outputs=outputs, request_id="req-1"
    )
    assert (header_length is None) is not binary
    return decode_request(body, header_length)


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_tritonclient_request_bodies_decode(binary: bool) -> None:
    request = client_request(binary, [InferRequestedOutput("out", binary_data=binary)])
    assert request.id == "req-1"
    assert [output.binary for output in request.outputs] == [binary]
    for datatype, tensor in zip(SAMPLES, request.inputs, strict=True):
        assert (tensor.name, tensor.datatype, tensor.shape) == (f"in_{datatype}", datatype, (2, 3))
        assert tensor.data.dtype == sample(datatype).dtype
        assert tensor.data.tolist() == sample(datatype).tolist()


def test_tritonclient_without_outputs_asks_for_every_output_binary() -> None:
    request = client_request(True, None)
    assert request.outputs == ()
    assert request.binary_output is True


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_tritonclient_parses_our_responses(binary: bool) -> None:
    wanted = [InferRequestedOutput(f"in_{datatype}", binary_data=binary) for datatype in SAMPLES]
    request = client_request(binary, wanted)
    echoed = [OutputTensor(tensor.name, tensor.data) for tensor in request.inputs]

    body, headers = encode_response("echo", "2", request.id, echoed, request)

    length = headers.get(HEADER_LENGTH)
    assert (length is not None) is binary
    result = InferenceServerClient.parse_response_body(
        body, header_length=None if length is None else int(length)
    )
    assert result.get_response()["model_name"] == "echo"
    assert result.get_response()["id"] == "req-1"
    for datatype in SAMPLES:
        got = result.as_numpy(f"in_{datatype}")
        want = sample(datatype)
        if datatype == "BYTES" and binary:  # Triton's client hands binary BYTES back as bytes
            want = np.vectorize(str.encode, otypes=[object])(want)
        assert got.shape == (2, 3)
        assert got.tolist() == want.tolist()
