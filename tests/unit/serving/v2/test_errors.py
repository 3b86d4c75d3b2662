"""Bad requests: each raises V2Error with status 400 and a message naming what is at fault."""

from __future__ import annotations

import json
import struct
from typing import Any

import pytest

from streamops_serving.v2.codec import decode_request
from streamops_serving.v2.types import V2Error


def tensor(**fields: Any) -> dict[str, Any]:
    """A good JSON input named 'amount', with `fields` changed (None removes a field)."""
    good = {"name": "amount", "shape": [2], "datatype": "FP32", "data": [1.5, 2.5]}
    good.update(fields)
    return {key: value for key, value in good.items() if value is not None}


def binary(raw: bytes, *inputs: dict[str, Any]) -> tuple[bytes, int]:
    header = json.dumps({"inputs": list(inputs)}).encode()
    return header + raw, len(header)


def jsonly(*inputs: dict[str, Any], **document: Any) -> tuple[bytes, None]:
    return json.dumps({"inputs": list(inputs), **document}).encode(), None


def sized(size: int, **fields: Any) -> dict[str, Any]:
    return tensor(data=None, parameters={"binary_data_size": size}, **fields)


BAD_REQUESTS: dict[str, tuple[tuple[bytes, int | None], str]] = {
    "not JSON": ((b"{'inputs': [", None), "not valid JSON"),
    "not UTF-8": ((b'{"inputs": ["\xff"]}', None), "not valid JSON"),
    "not an object": ((b"[1, 2]", None), "JSON object"),
    "missing inputs": ((b'{"id": "r"}', None), "'inputs'"),
    "inputs not a list": ((b'{"inputs": {"name": "x"}}', None), "'inputs'"),
    "id not a string": (jsonly(tensor(), id=7), "'id'"),
    "input without a name": (jsonly({"shape": [1], "datatype": "FP32", "data": [1]}), "input 0"),
    "unknown datatype": (jsonly(tensor(datatype="FP8")), "'amount' has unknown datatype 'FP8'"),
    "missing datatype": (jsonly(tensor(datatype=None)), "'amount' has unknown datatype"),
    "negative dimension": (jsonly(tensor(shape=[-1])), "'amount': 'shape'"),
    "dimension not an integer": (jsonly(tensor(shape=["2"])), "'amount': 'shape'"),
    "missing data": (jsonly(tensor(data=None)), "'amount' has neither"),
    "data not a list": (jsonly(tensor(data=1.5)), "'amount': 'data' must be a list"),
    "too few elements": (jsonly(tensor(shape=[3])), "'amount': shape [3] holds 3"),
    "too many elements": (jsonly(tensor(shape=[1])), "'amount': shape [1] holds 1"),
    "nested not as the shape": (
        jsonly(tensor(shape=[2, 2], data=[[1, 2, 3, 4]])),
        "'amount': nested 'data' of shape [1, 4]",
    ),
    "ragged": (jsonly(tensor(shape=[3], data=[[1], [2, 3]])), "'amount': nested 'data' is ragged"),
    "string in FP32": (jsonly(tensor(data=["1.5", "2"])), "'amount': FP32 data holds strings"),
    "string among FP32": (jsonly(tensor(data=[1.5, "x"])), "'amount': FP32 data holds strings"),
    "bool in FP32": (jsonly(tensor(data=[True, False])), "'amount': FP32 data holds booleans"),
    "null in FP32": (jsonly(tensor(data=[None, 1.0])), "'amount': FP32 data holds values"),
    "float in INT32": (
        jsonly(tensor(datatype="INT32", data=[1, 2.5])),
        "'amount': INT32 data holds floats",
    ),
    "integer in BOOL": (
        jsonly(tensor(datatype="BOOL", data=[0, 1])),
        "'amount': BOOL data holds integers",
    ),
    "number in BYTES": (jsonly(tensor(datatype="BYTES", data=["a", 1])), "'amount': BYTES"),
    "out of range for UINT8": (
        jsonly(tensor(datatype="UINT8", data=[255, 256])),
        "'amount': a value is out of range for UINT8",
    ),
    "negative UINT64": (
        jsonly(tensor(datatype="UINT64", data=[-1, 2**63])),
        "'amount': a value is out of range for UINT64",
    ),
    "float among UINT64 past 2**63": (
        jsonly(tensor(datatype="UINT64", data=[1.5, 2**63])),
        "'amount': UINT64 data holds floats",
    ),
    # orjson reads an integer past 64 bits as a float.
    "past UINT64": (
        jsonly(tensor(datatype="UINT64", data=[2**64, 1])),
        "'amount': UINT64 data holds floats",
    ),
    "twice the same input": (jsonly(tensor(), tensor()), "'amount' appears twice"),
    "parameters not an object": (jsonly(tensor(parameters=[1])), "'amount': 'parameters'"),
    "shared memory": (
        jsonly(tensor(data=None, parameters={"shared_memory_region": "r"})),
        "'amount': shared memory",
    ),
    "data and binary_data_size": (
        binary(b"\0" * 8, tensor(parameters={"binary_data_size": 8})),
        "'amount' has both",
    ),
    "binary_data_size not an integer": (binary(b"\0" * 8, sized(8.0)), "'amount': binary_data"),
    "header length beyond the body": (
        (b'{"inputs": []}', 15),
        "Inference-Header-Content-Length 15 is beyond the request body of 14 bytes",
    ),
    "negative header length": ((b'{"inputs": []}', -1), "Inference-Header-Content-Length -1"),
    "binary without a header length": (
        (json.dumps({"inputs": [sized(8)]}).encode(), None),
        "'amount': binary_data_size 8 runs past",
    ),
    "binary size beyond the body": (binary(b"\0" * 4, sized(8)), "'amount': binary_data_size 8"),
    "binary size not the shape's": (
        binary(b"\0" * 12, sized(12)),
        "'amount': binary_data_size 12 but shape [2] of FP32 takes 8 bytes",
    ),
    "bytes after the last binary input": (binary(b"\0" * 9, sized(8)), "1 bytes after"),
    "BOOL byte not 0 or 1": (
        binary(b"\x01\x02", sized(2, datatype="BOOL")),
        "'amount': a BOOL byte",
    ),
    "BYTES length cut short": (
        binary(struct.pack("<I", 1) + b"a\x01\x00", sized(7, datatype="BYTES")),
        "'amount': BYTES data ends inside",
    ),
    "BYTES element past its size": (
        binary(struct.pack("<I", 5) + b"ab", sized(6, datatype="BYTES")),
        "'amount': a BYTES element runs past",
    ),
    "BYTES count not the shape's": (
        binary(struct.pack("<I", 1) + b"a", sized(5, datatype="BYTES")),
        "'amount': shape holds 2 elements, BYTES data 1",
    ),
    "outputs not a list": (jsonly(tensor(), outputs={"name": "y"}), "'outputs'"),
    "output without a name": (jsonly(tensor(), outputs=[{}]), "output 0"),
    "binary_data not a bool": (
        jsonly(tensor(), outputs=[{"name": "y", "parameters": {"binary_data": 1}}]),
        "output 'y': parameter 'binary_data'",
    ),
    "classification": (
        jsonly(tensor(), outputs=[{"name": "y", "parameters": {"classification": 2}}]),
        "output 'y': parameter 'classification' is not supported",
    ),
    "output requested twice": (
        jsonly(tensor(), outputs=[{"name": "y"}, {"name": "y"}]),
        "output 'y' is requested twice",
    ),
    "binary_data_output not a bool": (
        jsonly(tensor(), parameters={"binary_data_output": "yes"}),
        "'binary_data_output'",
    ),
}


@pytest.mark.parametrize(("request_", "fault"), BAD_REQUESTS.values(), ids=list(BAD_REQUESTS))
def test_a_bad_request_is_a_400_naming_the_fault(
    request_: tuple[bytes, int | None], fault: str
) -> None:
    body, header_length = request_
    with pytest.raises(V2Error) as raised:
        decode_request(body, header_length)
    assert raised.value.status == 400
    assert fault in str(raised.value)
