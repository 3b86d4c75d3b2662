"""The V2 data-plane types: tensors in, tensors out, and the error a bad request raises.

Datatype names and their binary layout follow the Open Inference Protocol and Triton's binary
tensor data extension: little-endian, row-major, no padding; BOOL one byte; BYTES elements a
4-byte little-endian length then the bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

# Explicit little-endian dtypes, because the wire is little-endian whatever the host is.
NUMPY_DTYPES: dict[str, np.dtype[Any]] = {
    "BOOL": np.dtype("?"),
    "UINT8": np.dtype("u1"),
    "UINT16": np.dtype("<u2"),
    "UINT32": np.dtype("<u4"),
    "UINT64": np.dtype("<u8"),
    "INT8": np.dtype("i1"),
    "INT16": np.dtype("<i2"),
    "INT32": np.dtype("<i4"),
    "INT64": np.dtype("<i8"),
    "FP16": np.dtype("<f2"),
    "FP32": np.dtype("<f4"),
    "FP64": np.dtype("<f8"),
    "BYTES": np.dtype(object),
}
"""Every V2 datatype the codec accepts, with the numpy dtype its elements decode to."""

DATATYPES_BY_DTYPE: dict[np.dtype[Any], str] = {
    dtype.newbyteorder("="): name for name, dtype in NUMPY_DTYPES.items()
}
"""The V2 datatype of a native-order numpy dtype (object -> BYTES)."""


class V2Error(Exception):
    """A request or response the protocol cannot carry; `status` is the HTTP answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class InferInput:
    """One input tensor: name, datatype, shape, and its data in that shape (`data`; BYTES:
    an object array of str or bytes).

    A few JSON numbers of a float datatype (a feature of one row) stay the checked list they
    came as (`values`) until `data` is first read: a one-row request of 34 features reads
    each one with `first` and makes no array. Not frozen either: a frozen dataclass costs
    three times as much to make.
    """

    name: str
    datatype: str
    shape: tuple[int, ...]
    array: NDArray[Any] | None = None
    #: flat numbers, as many as `shape` holds, while `array` is not made
    values: list[float | int] | None = None

    @property
    def data(self) -> NDArray[Any]:
        if self.array is None:
            self.array = np.array(self.values, NUMPY_DTYPES[self.datatype]).reshape(self.shape)
        return self.array

    @property
    def size(self) -> int:
        """How many elements the shape holds."""
        return math.prod(self.shape)

    def first(self) -> Any:
        """The first element as a Python value, as `data` holds it (an FP32 number rounded
        to float32): the one value of a one-row feature."""
        if self.array is None and self.values:
            return float(_FLOAT_SCALARS[self.datatype](self.values[0]))  # type: ignore[arg-type]
        return self.data.item(0)


_FLOAT_SCALARS = {"FP16": np.float16, "FP32": np.float32, "FP64": np.float64}


@dataclass(frozen=True, slots=True)
class RequestedOutput:
    """An output the caller named, and whether it wants the tensor as binary data."""

    name: str
    binary: bool


@dataclass(frozen=True, slots=True)
class InferRequest:
    """A decoded inference request; `binary_output` is the request's `binary_data_output`."""

    id: str | None
    inputs: tuple[InferInput, ...]
    outputs: tuple[RequestedOutput, ...]
    parameters: dict[str, Any] = field(default_factory=dict)
    binary_output: bool = False


@dataclass(frozen=True, slots=True)
class OutputTensor:
    """One output of a model; `datatype` None takes it from the array's dtype."""

    name: str
    data: NDArray[Any]
    datatype: str | None = None
