"""A dataset as a pandas frame, its feature columns split into numeric and categorical.

Which columns are features, and of which kind, follows the dataset's Avro types, never a
pipeline's field names: every column that is not the features record's metadata (event
id, entity key, times, source position, late flag, the labels' join key) or the label
columns is a feature; ``int``, ``long``, ``float``, ``double`` and ``boolean`` (possibly
nullable) are numeric, ``string`` and ``enum`` categorical.

The values are the ones the exported ONNX graph will see: numbers as float32 (NaN for
null), categories as strings with null as the empty string (an ONNX string tensor has no
null). Fitting on exactly those values keeps scikit-learn and ONNX on the same inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from streamops.dataset import Dataset
from streamops.features import RECORD_FIELDS
from streamops.pipeline.model_spec import Task

#: The dataset's label columns (streamops.dataset.build.dataset_columns).
LABEL_COLUMNS = ("label", "label_source", "label_time")
#: What a null category is fed to the model as.
MISSING_CATEGORY = ""
_NUMERIC = {"int", "long", "float", "double", "boolean"}
_CATEGORICAL = {"string", "enum"}


class FrameError(ValueError):
    """A dataset whose columns cannot become model inputs."""


@dataclass(frozen=True)
class Frame:
    """The rows: metadata (event_id, event_time, label, label_source), then the features."""

    data: pd.DataFrame
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]

    @property
    def features(self) -> tuple[str, ...]:
        """Every feature, numeric ones first: the model's input order."""
        return (*self.numeric, *self.categorical)

    def take(self, mask: Any) -> Frame:
        """The rows where ``mask`` holds (a boolean array or a slice), same columns."""
        return Frame(self.data.iloc[mask].reset_index(drop=True), self.numeric, self.categorical)

    def select(self, features: Sequence[str]) -> Frame:
        """The same rows with only ``features`` as features (FrameError if one is missing)."""
        missing = [f for f in features if f not in self.features]
        if missing:
            raise FrameError(f"the dataset has no feature {', '.join(missing)}")
        keep = set(features)
        return Frame(
            self.data,
            tuple(f for f in self.numeric if f in keep),
            tuple(f for f in self.categorical if f in keep),
        )


def column_kind(avro_type: Any) -> str | None:
    """``numeric``, ``categorical``, or None for a type a model cannot read."""
    members = avro_type if isinstance(avro_type, list) else [avro_type]
    rest = [m for m in members if m != "null"]
    if len(rest) != 1:
        return None
    base = rest[0]["type"] if isinstance(rest[0], dict) else rest[0]
    if isinstance(rest[0], dict) and rest[0].get("logicalType"):
        return None  # times are metadata, not features
    return "numeric" if base in _NUMERIC else "categorical" if base in _CATEGORICAL else None


def feature_columns(dataset: Dataset, join_field: str | None) -> tuple[list[str], list[str]]:
    """The dataset's numeric and categorical feature columns, in dataset order."""
    metadata = {*RECORD_FIELDS, *LABEL_COLUMNS, *([join_field] if join_field else [])}
    numeric: list[str] = []
    categorical: list[str] = []
    for column in dataset.columns:
        if column.name in metadata:
            continue
        kind = column_kind(column.avro_type)
        if kind is None:
            raise FrameError(f"column {column.name} of type {column.avro_type} is not a feature")
        (numeric if kind == "numeric" else categorical).append(column.name)
    return numeric, categorical


def to_frame(dataset: Dataset, task: Task, join_field: str | None = None) -> Frame:
    """The dataset's rows as a frame with model-ready values and the label typed for ``task``."""
    numeric, categorical = feature_columns(dataset, join_field)
    names = [c.name for c in dataset.columns]
    raw = pd.DataFrame.from_records(dataset.rows, columns=names, coerce_float=False)
    data = pd.DataFrame(
        {
            "event_id": raw["event_id"].astype(object),
            "event_time": raw["event_time"].astype(np.int64),
            "label": label_values(raw["label"], task),
            "label_source": raw["label_source"].astype(object),
        }
    )
    features = {n: numeric_values(raw[n]) for n in numeric}
    features |= {n: categorical_values(raw[n]) for n in categorical}
    data = pd.concat([data, pd.DataFrame(features, index=data.index)], axis=1)
    return Frame(data, tuple(numeric), tuple(categorical))


def numeric_values(values: pd.Series) -> np.ndarray:
    """float32, NaN for null: what the ONNX graph's float inputs carry."""
    return np.asarray(
        pd.to_numeric(values, errors="raise").to_numpy(dtype=np.float32, na_value=np.nan)
    )


def categorical_values(values: pd.Series) -> np.ndarray:
    """Strings, null as `MISSING_CATEGORY`."""
    # pandas may have turned None into NaN when it built the column
    missing = values.isna().to_numpy()
    return np.array(
        [MISSING_CATEGORY if m else str(v) for v, m in zip(values.tolist(), missing, strict=True)],
        dtype=object,
    )


def label_values(values: pd.Series, task: Task) -> np.ndarray:
    """Binary labels as 0/1 integers, class names as strings, regression targets as floats."""
    if task == "binary":
        return np.asarray(values.to_numpy(dtype=np.float64), dtype=np.int64)
    if task == "multiclass":
        return np.asarray(values.astype(str).to_numpy(dtype=object))
    return np.asarray(values.to_numpy(dtype=np.float64))
