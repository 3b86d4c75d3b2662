"""The V2 wire format written out by hand from the protocol, apart from the codec under test.

`request_body` builds what a client sends; `parse_response` reads what a server answers,
as Triton's own client does (JSON header, then each binary output's bytes in order).
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

HEADER = "Inference-Header-Content-Length"

WIRE_DTYPES: dict[str, str] = {
    "BOOL": "?",
    "UINT8": "u1",
    "UINT16": "<u2",
    "UINT32": "<u4",
    "UINT64": "<u8",
    "INT8": "i1",
    "INT16": "<i2",
    "INT32": "<i4",
    "INT64": "<i8",
    "FP16": "<f2",
    "FP32": "<f4",
    "FP64": "<f8",
    "BYTES": "O",
}

# One sample per datatype, taking in each type's extremes (and text that is not ASCII).
SAMPLES: dict[str, list[Any]] = {
    "BOOL": [[True, False, True], [False, False, True]],
    "UINT8": [[0, 1, 255], [7, 128, 254]],
    "UINT16": [[0, 1, 65535], [7, 32768, 2]],
    "UINT32": [[0, 1, 2**32 - 1], [7, 2**31, 2]],
    "UINT64": [[0, 1, 2**64 - 1], [7, 2**63, 2]],
    "INT8": [[-128, 0, 127], [1, -1, 2]],
    "INT16": [[-(2**15), 0, 2**15 - 1], [1, -1, 2]],
    "INT32": [[-(2**31), 0, 2**31 - 1], [1, -1, 2]],
    "INT64": [[-(2**63), 0, 2**63 - 1], [1, -1, 2]],
    "FP16": [[0.5, -1.5, 65504.0], [0.0, 1.0, -2.25]],
    "FP32": [[1.25, -3.5, 3.0e38], [0.0, 1.0e-38, 7.0]],
    "FP64": [[1.0e-300, -0.1, 1.7976931348623157e308], [0.0, 3.141592653589793, 2.0]],
    "BYTES": [["héllo", "日本語", ""], ["a\x00b", "ok", "ünïcödé 🚀"]],
}


@dataclass(frozen=True)
class Tensor:
    """An input to send: `binary` puts its data after the JSON header, `nested` keeps lists."""

    name: str
    datatype: str
    data: list[Any]
    shape: list[int]
    binary: bool = False
    nested: bool = True


def flatten(data: Any) -> list[Any]:
    """Row-major elements of nested lists."""
    if not isinstance(data, list):
        return [data]
    return [element for item in data for element in flatten(item)]


def binary_bytes(datatype: str, elements: list[Any]) -> bytes:
    """Binary tensor data: little-endian fixed-size elements, or length-prefixed BYTES."""
    if datatype == "BYTES":
        parts = []
        for element in elements:
            raw = element if isinstance(element, bytes) else element.encode()
            parts.append(struct.pack("<I", len(raw)) + raw)
        return b"".join(parts)
    return np.array(elements, dtype=WIRE_DTYPES[datatype]).tobytes()


def request_body(
    inputs: list[Tensor],
    outputs: list[dict[str, Any]] | None = None,
    parameters: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> tuple[bytes, int | None]:
    """A request body and its Inference-Header-Content-Length (None when all JSON)."""
    document: dict[str, Any] = {"inputs": []}
    if request_id is not None:
        document["id"] = request_id
    if parameters is not None:
        document["parameters"] = parameters
    chunks = []
    for tensor in inputs:
        entry: dict[str, Any] = {
            "name": tensor.name,
            "shape": tensor.shape,
            "datatype": tensor.datatype,
        }
        if tensor.binary:
            raw = binary_bytes(tensor.datatype, flatten(tensor.data))
            entry["parameters"] = {"binary_data_size": len(raw)}
            chunks.append(raw)
        else:
            entry["data"] = tensor.data if tensor.nested else flatten(tensor.data)
        document["inputs"].append(entry)
    if outputs is not None:
        document["outputs"] = outputs
    header = json.dumps(document).encode()
    if not chunks:
        return header, None
    return header + b"".join(chunks), len(header)


def parse_response(
    body: bytes, headers: dict[str, str]
) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
    """The response's JSON header and each output as an array (BYTES binary: raw bytes)."""
    length = headers.get(HEADER)
    header_end = len(body) if length is None else int(length)
    document = json.loads(body[:header_end])
    offset = header_end
    arrays: dict[str, NDArray[Any]] = {}
    for output in document["outputs"]:
        datatype, shape = output["datatype"], output["shape"]
        size = output.get("parameters", {}).get("binary_data_size")
        if size is None:
            array = np.array(output["data"], dtype=WIRE_DTYPES[datatype])
        else:
            raw, offset = body[offset : offset + size], offset + size
            array = _from_binary(datatype, raw)
        arrays[output["name"]] = array.reshape(shape)
    assert offset == len(body), "binary data left over after the last binary output"
    return document, arrays


def _from_binary(datatype: str, raw: bytes) -> NDArray[Any]:
    if datatype != "BYTES":
        return np.frombuffer(raw, dtype=WIRE_DTYPES[datatype])
    elements, offset = [], 0
    while offset < len(raw):
        (length,) = struct.unpack_from("<I", raw, offset)
        elements.append(raw[offset + 4 : offset + 4 + length])
        offset += 4 + length
    array = np.empty(len(elements), dtype=object)
    array[:] = elements
    return array
