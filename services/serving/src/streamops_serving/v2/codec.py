"""The V2 inference request and response bodies, in JSON and with binary tensor data.

A body with binary tensors is the JSON header (`Inference-Header-Content-Length` bytes) and
then each binary tensor's bytes, in the order of the inputs (or outputs) that carry a
`binary_data_size` parameter. Every fault in a request raises `V2Error` naming the input or
field; the HTTP boundary answers it with `error_body`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from streamops_serving.v2.tensors import (
    array_from_binary,
    array_from_json,
    binary_from_array,
    few_numbers,
    json_from_array,
    output_array,
)
from streamops_serving.v2.types import (
    NUMPY_DTYPES,
    InferInput,
    InferRequest,
    OutputTensor,
    RequestedOutput,
    V2Error,
)

HEADER_LENGTH = "Inference-Header-Content-Length"
"""The HTTP header giving the JSON header's length when binary tensor data follows it."""


def decode_request(body: bytes, header_length: int | None) -> InferRequest:
    """Decode an inference request body; `header_length` None means the body is all JSON."""
    if header_length is None:
        header_length = len(body)
    elif not 0 <= header_length <= len(body):
        raise V2Error(
            f"{HEADER_LENGTH} {header_length} is beyond the request body of {len(body)} bytes"
        )
    view = memoryview(body)  # slices of a memoryview copy nothing
    header, binary = view[:header_length], view[header_length:]
    try:
        document = orjson.loads(header)
    except orjson.JSONDecodeError as error:
        raise V2Error(f"the request header is not valid JSON: {error}") from None
    if type(document) is not dict:
        raise V2Error("the request must be a JSON object")
    request_id = document.get("id")
    if request_id is not None and type(request_id) is not str:
        raise V2Error("the request 'id' must be a string")
    parameters = _parameters(document, "the request")
    binary_output = parameters.get("binary_data_output", False)
    if type(binary_output) is not bool:
        raise V2Error("the request parameter 'binary_data_output' must be true or false")
    raw_inputs = document.get("inputs")
    if type(raw_inputs) is not list:
        raise V2Error("the request has no 'inputs' list")
    inputs: list[InferInput] = []
    names: set[str] = set()
    offset = 0
    for position, raw in enumerate(raw_inputs):
        tensor, offset = _decode_input(raw, position, binary, offset)
        if tensor.name in names:
            raise V2Error(f"input '{tensor.name}' appears twice")
        names.add(tensor.name)
        inputs.append(tensor)
    if offset != len(binary):
        raise V2Error(
            f"{len(binary) - offset} bytes after the JSON header belong to no input's "
            "binary_data_size"
        )
    outputs = _decode_outputs(document.get("outputs"), binary_output)
    return InferRequest(request_id, tuple(inputs), outputs, parameters, binary_output)


def encode_response(
    model_name: str,
    model_version: str | None,
    request_id: str | None,
    outputs: Sequence[OutputTensor],
    request: InferRequest | None = None,
    parameters: dict[str, Any] | None = None,
) -> tuple[bytes, dict[str, str]]:
    """Encode an inference response: the body, and the headers that must go with it.

    Only the outputs the request named are sent when it named any (in its order), each as
    binary data if the request asked so for it or, by default, with `binary_data_output`.
    """
    entries: list[dict[str, Any]] = []
    chunks: list[bytes] = []
    for tensor, binary in _selected_outputs(outputs, request):
        datatype, array = output_array(tensor.name, tensor.data, tensor.datatype)
        entry: dict[str, Any] = {"name": tensor.name, "datatype": datatype, "shape": array.shape}
        if binary:
            raw = binary_from_array(array, datatype)
            entry["parameters"] = {"binary_data_size": len(raw)}
            chunks.append(raw)
        else:
            entry["data"] = json_from_array(array, datatype, tensor.name)
        entries.append(entry)
    document: dict[str, Any] = {"model_name": model_name}
    if model_version is not None:
        document["model_version"] = model_version
    if request_id is not None:
        document["id"] = request_id
    if parameters:
        document["parameters"] = parameters
    document["outputs"] = entries
    header = _dumps(document)
    if not chunks:
        return header, {"Content-Type": "application/json"}
    return b"".join([header, *chunks]), {
        "Content-Type": "application/octet-stream",
        HEADER_LENGTH: str(len(header)),
    }


def error_body(message: str) -> bytes:
    """The protocol's error answer: `{"error": message}`."""
    return _dumps({"error": message})


def _dumps(document: dict[str, Any]) -> bytes:
    # Numeric output data stays a numpy array: orjson writes it without a Python list, and a
    # float32 in its shortest form (0.1, not 0.10000000149011612).
    return orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY)


def _parameters(holder: dict[str, Any], what: str) -> dict[str, Any]:
    parameters = holder.get("parameters")
    if parameters is None:
        return {}
    if type(parameters) is not dict:
        raise V2Error(f"{what}: 'parameters' must be a JSON object")
    return parameters


def _decode_input(
    raw: Any, position: int, binary: memoryview, offset: int
) -> tuple[InferInput, int]:
    """One input, and the offset in the binary data where the next binary input starts."""
    if type(raw) is not dict or type(raw.get("name")) is not str:
        raise V2Error(f"input {position} must be a JSON object with a string 'name'")
    name: str = raw["name"]
    datatype = raw.get("datatype")
    if type(datatype) is not str or datatype not in NUMPY_DTYPES:
        raise V2Error(f"input '{name}' has unknown datatype {datatype!r}")
    raw_shape = raw.get("shape")
    if type(raw_shape) is not list:
        raise V2Error(f"input '{name}': 'shape' must be a list of non-negative integers")
    for dimension in raw_shape:
        if type(dimension) is not int or dimension < 0:
            raise V2Error(f"input '{name}': 'shape' must be a list of non-negative integers")
    shape = tuple(raw_shape)
    size = None
    parameters = raw.get("parameters")
    if parameters is not None:
        if type(parameters) is not dict:
            raise V2Error(f"input '{name}': 'parameters' must be a JSON object")
        if "shared_memory_region" in parameters:
            raise V2Error(f"input '{name}': shared memory is not supported; send the data")
        size = parameters.get("binary_data_size")
    if size is None:
        if "data" not in raw:
            raise V2Error(f"input '{name}' has neither 'data' nor a binary_data_size")
        data = raw["data"]
        if type(data) is list and few_numbers(data, datatype, shape):
            return InferInput(name, datatype, shape, values=data), offset  # array when read
        return InferInput(
            name, datatype, shape, array_from_json(data, name, datatype, shape)
        ), offset
    if "data" in raw:
        raise V2Error(f"input '{name}' has both 'data' and a binary_data_size")
    if type(size) is not int or size < 0:
        raise V2Error(f"input '{name}': binary_data_size must be a non-negative integer")
    end = offset + size
    if end > len(binary):
        raise V2Error(
            f"input '{name}': binary_data_size {size} runs past the {len(binary) - offset} "
            f"bytes left after the JSON header (is {HEADER_LENGTH} right?)"
        )
    array = array_from_binary(binary, offset, size, name, datatype, shape)
    return InferInput(name, datatype, shape, array), end


def _decode_outputs(raw_outputs: Any, binary_output: bool) -> tuple[RequestedOutput, ...]:
    if raw_outputs is None:
        return ()
    if type(raw_outputs) is not list:
        raise V2Error("the request 'outputs' must be a list")
    outputs: list[RequestedOutput] = []
    for position, raw in enumerate(raw_outputs):
        if type(raw) is not dict or type(raw.get("name")) is not str:
            raise V2Error(f"output {position} must be a JSON object with a string 'name'")
        name: str = raw["name"]
        parameters = _parameters(raw, f"output '{name}'")
        for unsupported in ("classification", "shared_memory_region"):
            if unsupported in parameters:
                raise V2Error(f"output '{name}': parameter '{unsupported}' is not supported")
        binary = parameters.get("binary_data", binary_output)
        if type(binary) is not bool:
            raise V2Error(f"output '{name}': parameter 'binary_data' must be true or false")
        if any(output.name == name for output in outputs):
            raise V2Error(f"output '{name}' is requested twice")
        outputs.append(RequestedOutput(name, binary))
    return tuple(outputs)


def _selected_outputs(
    outputs: Sequence[OutputTensor], request: InferRequest | None
) -> list[tuple[OutputTensor, bool]]:
    if request is None:
        return [(tensor, False) for tensor in outputs]
    if not request.outputs:
        return [(tensor, request.binary_output) for tensor in outputs]
    by_name = {tensor.name: tensor for tensor in outputs}
    selected = []
    for wanted in request.outputs:
        tensor = by_name.get(wanted.name)
        if tensor is None:
            raise V2Error(
                f"output '{wanted.name}' is requested but the model has only "
                f"{', '.join(repr(name) for name in by_name) or 'no outputs'}"
            )
        selected.append((tensor, wanted.binary))
    return selected
