"""Metrics of the holdout as a whole and by slice (one value of a column like country).

A slice value with fewer than `MIN_SLICE_ROWS` labelled rows has no row of its own: its
rows count in "other", so that a card never reports a metric of a handful of rows as if
it meant something. A metric that is undefined on a group (an AUC where all rows are of
one class) is None, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from streamops_training.card.inputs import PREDICTION_COLUMN, Task

#: Least labelled rows for a slice value to get its own row.
MIN_SLICE_ROWS = 30
#: Below this many rows a slice's metrics are called noisy in the caveats.
NOISY_SLICE_ROWS = 100
#: At most this many values of a column get their own row (the largest); the rest count
#: together in a row named "other (N values)".
MAX_SLICE_VALUES = 20
OTHER = "other"
MISSING = "(missing)"

#: The metrics shown per slice, by task.
SLICE_METRICS: dict[Task, tuple[str, ...]] = {
    "BINARY_CLASSIFICATION": ("PR-AUC", "ROC-AUC", "precision", "recall"),
    "MULTICLASS_CLASSIFICATION": ("accuracy", "macro-F1"),
    "REGRESSION": ("MAE", "RMSE"),
}


@dataclass(frozen=True)
class SliceRow:
    """One slice value (or "other", or the whole holdout) and its metrics."""

    value: str
    count: int
    positives: int | None
    """Binary only."""
    metrics: dict[str, float | None]


@dataclass(frozen=True)
class SliceTable:
    """A slice column's rows; when it has none, ``note`` says why."""

    column: str
    rows: tuple[SliceRow, ...]
    note: str | None = None


def group_metrics(task: Task, rows: pd.DataFrame, threshold: float) -> dict[str, float | None]:
    """The task's `SLICE_METRICS` on ``rows`` (binary: precision and recall at threshold)."""
    y = rows["label"].to_numpy()
    predicted = rows[PREDICTION_COLUMN[task]].to_numpy()
    if len(y) == 0:
        return dict.fromkeys(SLICE_METRICS[task])
    if task == "REGRESSION":
        y, predicted = y.astype(float), predicted.astype(float)
        return {
            "MAE": float(skm.mean_absolute_error(y, predicted)),
            "RMSE": float(skm.root_mean_squared_error(y, predicted)),
        }
    if task == "MULTICLASS_CLASSIFICATION":
        y, predicted = y.astype(str), predicted.astype(str)
        return {
            "accuracy": float(skm.accuracy_score(y, predicted)),
            "macro-F1": float(skm.f1_score(y, predicted, average="macro", zero_division=0)),
        }
    y = y.astype(int)
    decided = (predicted >= threshold).astype(int)
    both = len(np.unique(y)) == 2
    positives = int(y.sum())
    return {
        "PR-AUC": float(skm.average_precision_score(y, predicted)) if both else None,
        "ROC-AUC": float(skm.roc_auc_score(y, predicted)) if both else None,
        # precision is undefined with nothing flagged, recall with no positives
        "precision": float(skm.precision_score(y, decided, zero_division=0))
        if decided.any()
        else None,
        "recall": float(skm.recall_score(y, decided, zero_division=0)) if positives else None,
    }


def summary_row(task: Task, rows: pd.DataFrame, value: str, threshold: float) -> SliceRow:
    """One group's row: its count, positives (binary) and metrics."""
    positives = int(rows["label"].astype(int).sum()) if task == "BINARY_CLASSIFICATION" else None
    return SliceRow(value, len(rows), positives, group_metrics(task, rows, threshold))


def slice_table(task: Task, holdout: pd.DataFrame, column: str, threshold: float) -> SliceTable:
    """The holdout's metrics for each value of ``column`` with enough rows, then other."""
    if column not in holdout.columns:
        return SliceTable(column, (), f"the holdout has no column {column}")
    values = holdout[column]
    if len(values) == 0 or (values.isna() | (values.astype(object) == "")).all():
        return SliceTable(column, (), f"{column} has no values in the holdout")
    keys = values.astype(object).where(values.notna(), MISSING).astype(str)
    # the training frame spells a null category as "" (an ONNX string tensor has no null)
    keys = keys.where(keys != "", MISSING)
    counts = keys.value_counts()
    # count first, then the name: the same holdout always gives the same rows in order
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    own = [k for k, n in ordered if n >= MIN_SLICE_ROWS][:MAX_SLICE_VALUES]
    rows = [summary_row(task, holdout[keys == k], k, threshold) for k in own]
    rest = ~keys.isin(own)
    if rest.any():
        grouped = f"{OTHER} ({keys[rest].nunique()} values)"
        rows.append(summary_row(task, holdout[rest], grouped, threshold))
    return SliceTable(column, tuple(rows))
