"""Tensor data to and from numpy: JSON element lists and binary tensor bytes.

JSON data is row-major, nested as the shape or flat; binary data is little-endian, row-major,
without padding, BOOL one byte, BYTES elements a 4-byte little-endian length then the bytes.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np
from numpy.typing import NDArray

from streamops_serving.v2.types import NUMPY_DTYPES, V2Error

_LENGTH = struct.Struct("<I")
# The element kinds numpy infers from JSON data that each datatype accepts: an integer is a
# fine float, but a bool or a string is no number, and a float is no integer.
_INTEGER = frozenset("iu")
_JSON_KINDS: dict[str, frozenset[str]] = {
    name: frozenset("b") if name == "BOOL" else frozenset("fiu") if name[0] == "F" else _INTEGER
    for name in NUMPY_DTYPES
    if name != "BYTES"
}
_KIND_NAMES = {"b": "booleans", "U": "strings", "f": "floats", "i": "integers", "u": "integers"}
_DATATYPES_BY_KIND = {(d.kind, d.itemsize): name for name, d in NUMPY_DTYPES.items()}


_FLOATS = frozenset({"FP16", "FP32", "FP64"})
_NUMBERS = (float, int)  # bool is not int here: type(True) is bool
_SMALL = 64


def few_numbers(data: list[Any], datatype: str, shape: tuple[int, ...]) -> bool:
    """Whether JSON ``data`` (a list) is a few flat numbers of a float datatype, as many as
    ``shape`` holds (a feature of one row): checked by hand, no array needed to tell."""
    return (
        datatype in _FLOATS
        and len(data) <= _SMALL
        and len(data) == math.prod(shape)
        and all(type(v) in _NUMBERS for v in data)
    )


def array_from_json(data: Any, name: str, datatype: str, shape: tuple[int, ...]) -> NDArray[Any]:
    """An input's JSON `data` as an array of `shape`; raises V2Error naming the input."""
    if type(data) is not list:
        raise V2Error(f"input '{name}': 'data' must be a list")
    if datatype == "BYTES":
        # dtype=object keeps each str whole (a 'U' array would drop trailing NULs).
        array = np.array(data, dtype=object)
        if any(type(element) is not str for element in array.flat):
            raise V2Error(f"input '{name}': BYTES data must be strings (nested lists of them)")
        return _shaped(array, name, shape)
    if few_numbers(data, datatype, shape):
        return np.array(data, NUMPY_DTYPES[datatype]).reshape(shape)
    try:
        # Let numpy infer first: the kind it finds tells a string or a bool from a number
        # without a Python loop over the elements.
        array = np.array(data)
    except ValueError:
        raise V2Error(f"input '{name}': nested 'data' is ragged") from None
    kind = array.dtype.kind
    if array.size and kind not in _JSON_KINDS[datatype] and not _big_uint64(data, datatype):
        found = _KIND_NAMES.get(kind, "values of mixed or unknown types")
        raise V2Error(f"input '{name}': {datatype} data holds {found}")
    dtype = NUMPY_DTYPES[datatype]
    if array.dtype != dtype:
        try:
            # From the list again, not astype: numpy refuses an integer out of the datatype's
            # range there (astype would wrap it) and keeps UINT64 past 2**63 exact.
            array = np.array(data, dtype) if dtype.kind in _INTEGER else array.astype(dtype)
        except OverflowError:
            raise V2Error(f"input '{name}': a value is out of range for {datatype}") from None
    return _shaped(array, name, shape)


def _big_uint64(data: list[Any], datatype: str) -> bool:
    """True when UINT64 data holds only integers (numpy infers floats from ints past 2**63)."""
    if datatype != "UINT64":
        return False
    return all(type(element) is int for element in np.array(data, dtype=object).flat)


def _shaped(array: NDArray[Any], name: str, shape: tuple[int, ...]) -> NDArray[Any]:
    """The data in `shape`, whether it came nested that way or flat."""
    if array.shape == shape:
        return array
    count = math.prod(shape)
    if array.size != count:
        raise V2Error(
            f"input '{name}': shape {list(shape)} holds {count} elements, 'data' {array.size}"
        )
    if array.ndim != 1:
        raise V2Error(
            f"input '{name}': nested 'data' of shape {list(array.shape)} is not shape "
            f"{list(shape)}; send it nested as the shape or flat"
        )
    return array.reshape(shape)


def array_from_binary(
    binary: memoryview, offset: int, size: int, name: str, datatype: str, shape: tuple[int, ...]
) -> NDArray[Any]:
    """An input's `size` bytes at `offset` as an array of `shape` (numbers: a read-only view)."""
    count = math.prod(shape)
    if datatype == "BYTES":
        chunk = binary[offset : offset + size]
        return _strings_from_binary(chunk, name, count).reshape(shape)
    dtype = NUMPY_DTYPES[datatype]
    if size != count * dtype.itemsize:
        raise V2Error(
            f"input '{name}': binary_data_size {size} but shape {list(shape)} of "
            f"{datatype} takes {count * dtype.itemsize} bytes"
        )
    array: NDArray[Any] = np.ndarray(shape, dtype, binary, offset)  # a view: no copy
    if datatype == "BOOL" and count and array.view(np.uint8).max() > 1:
        raise V2Error(f"input '{name}': a BOOL byte is neither 0 nor 1")
    if not array.flags.aligned:
        # A tensor after a BYTES or odd-sized one may start at any address; runtimes want
        # aligned memory, so the misaligned tensor is copied.
        array = array.copy()
    return array


def _strings_from_binary(chunk: memoryview, name: str, count: int) -> NDArray[Any]:
    """BYTES elements: UTF-8 ones as str, any other kept as bytes."""
    elements: list[str | bytes] = []
    offset, end = 0, len(chunk)
    while offset < end:
        if offset + 4 > end:
            raise V2Error(f"input '{name}': BYTES data ends inside an element's length")
        (length,) = _LENGTH.unpack_from(chunk, offset)
        offset += 4
        if offset + length > end:
            raise V2Error(f"input '{name}': a BYTES element runs past its binary_data_size")
        raw = chunk[offset : offset + length]
        offset += length
        try:
            elements.append(str(raw, "utf-8"))
        except UnicodeDecodeError:
            elements.append(bytes(raw))
    if len(elements) != count:
        raise V2Error(f"input '{name}': shape holds {count} elements, BYTES data {len(elements)}")
    array = np.empty(count, dtype=object)
    array[:] = elements
    return array


def output_array(name: str, data: NDArray[Any], datatype: str | None) -> tuple[str, NDArray[Any]]:
    """An output's datatype (None: from the dtype) and its array in that datatype's dtype."""
    array = np.asarray(data)
    if datatype is None:
        kind = array.dtype.kind
        found = "BYTES" if kind in "OUS" else _DATATYPES_BY_KIND.get((kind, array.dtype.itemsize))
        if found is None:
            raise V2Error(f"output '{name}': numpy {array.dtype} has no V2 datatype", 500)
        datatype = found
    elif datatype not in NUMPY_DTYPES:
        raise V2Error(f"output '{name}' has unknown datatype {datatype!r}", 500)
    if datatype != "BYTES":
        array = array.astype(NUMPY_DTYPES[datatype], copy=False)
    return datatype, array


def binary_from_array(array: NDArray[Any], datatype: str) -> bytes:
    """An output array (in its datatype's dtype) as binary tensor bytes."""
    if datatype != "BYTES":
        return array.tobytes()
    parts: list[bytes] = []
    for element in array.flat:
        raw = element if isinstance(element, bytes) else str(element).encode()
        parts += (_LENGTH.pack(len(raw)), raw)
    return b"".join(parts)


def json_from_array(array: NDArray[Any], datatype: str, name: str) -> NDArray[Any] | list[str]:
    """An output's elements flat in row-major order, as the protocol allows (numbers stay
    an array, for a JSON encoder that writes numpy arrays)."""
    if datatype != "BYTES":
        return array.ravel()  # C-contiguous and at least 1-d, as orjson needs
    strings = []
    for element in array.flat:
        if isinstance(element, bytes):
            try:
                element = element.decode()
            except UnicodeDecodeError:
                raise V2Error(
                    f"output '{name}' holds bytes that are not UTF-8; request it as binary_data"
                ) from None
        strings.append(str(element))
    return strings
