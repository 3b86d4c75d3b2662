"""Datasets as Parquet files, the identity in the key-value metadata (``streamops.dataset``).

pyarrow is optional (``pip install 'streamops[dataset]'``) so that services that never
write a dataset stay small; it is imported when a file is written or read.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType
from typing import Any

from streamops.dataset.build import Dataset
from streamops.dataset.errors import DatasetError, MissingDependency
from streamops.dataset.identity import METADATA_KEY, DatasetIdentity

_PRIMITIVES = {
    "string": "string",
    "long": "int64",
    "int": "int32",
    "boolean": "bool_",
    "double": "float64",
    "float": "float32",
}


def _pyarrow() -> tuple[ModuleType, ModuleType]:
    try:
        import pyarrow  # type: ignore[import-untyped]
        import pyarrow.parquet  # type: ignore[import-untyped]
    except ImportError as exc:
        raise MissingDependency(
            "datasets are written with pyarrow, which is not installed: "
            "pip install 'streamops[dataset]'"
        ) from exc
    return pyarrow, pyarrow.parquet


def require_pyarrow() -> None:
    """MissingDependency now, rather than after reading the topics, if pyarrow is missing."""
    _pyarrow()


def arrow_type(avro_type: Any) -> Any:
    """The Arrow type of a column of this Avro type (a union with null is nullable)."""
    pa, _ = _pyarrow()
    if isinstance(avro_type, list):
        others = [t for t in avro_type if t != "null"]
        if len(others) != 1:
            raise DatasetError(f"a column of union type {avro_type} has no Arrow type")
        return arrow_type(others[0])
    if isinstance(avro_type, dict):
        if avro_type.get("logicalType") == "timestamp-millis":
            return pa.timestamp("ms", tz="UTC")
        return arrow_type(avro_type["type"])
    if avro_type not in _PRIMITIVES:
        raise DatasetError(f"a column of Avro type {avro_type!r} has no Arrow type here")
    return getattr(pa, _PRIMITIVES[avro_type])()


def write_parquet(dataset: Dataset, path: Path) -> None:
    """Write the rows and the identity; the file appears whole or not at all."""
    pa, pq = _pyarrow()
    schema = pa.schema(
        [pa.field(c.name, arrow_type(c.avro_type)) for c in dataset.columns],
        metadata={METADATA_KEY: dataset.identity.dumps()},
    )
    arrays = [
        pa.array([row[i] for row in dataset.rows], type=field.type)
        for i, field in enumerate(schema)
    ]
    table = pa.Table.from_arrays(arrays, schema=schema)
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    pq.write_table(table, partial)
    os.replace(partial, path)


def read_identity(path: Path) -> DatasetIdentity:
    """The identity stored in a dataset file; DatasetError if it has none."""
    _, pq = _pyarrow()
    try:
        metadata = pq.read_schema(path).metadata or {}
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise DatasetError(f"cannot read {path} as Parquet: {exc}") from exc
    raw = metadata.get(METADATA_KEY.encode())
    if raw is None:
        raise DatasetError(f"{path} is not a streamops dataset (no {METADATA_KEY} metadata)")
    return DatasetIdentity.loads(raw)
