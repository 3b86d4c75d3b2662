"""Metrics by slice: values under the minimum grouped as other, order, undefined metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from streamops_training.card.slices import (
    MAX_SLICE_VALUES,
    MIN_SLICE_ROWS,
    MISSING,
    group_metrics,
    slice_table,
)
from tests.unit.training.card.synthetic import binary_holdout, regression_holdout


def test_values_below_the_minimum_are_grouped_as_other() -> None:
    holdout = binary_holdout()
    counts = holdout["country"].value_counts()
    small = counts[counts < MIN_SLICE_ROWS]
    assert len(small) == 3  # MT, LU, IE: the synthetic holdout is built to have them

    table = slice_table("BINARY_CLASSIFICATION", holdout, "country", 0.42)

    assert [r.value for r in table.rows] == ["DE", "FR", "GB", "other (3 values)"]
    assert table.rows[-1].count == small.sum()
    assert sum(r.count for r in table.rows) == len(holdout)
    assert [r.count for r in table.rows[:3]] == list(counts.iloc[:3])
    assert table.rows[0].positives == int(holdout.loc[holdout.country == "DE", "label"].sum())


def test_a_value_with_exactly_the_minimum_has_its_own_row() -> None:
    frame = pd.DataFrame(
        {
            "label": [1.0, 0.0] * MIN_SLICE_ROWS,
            "score": np.linspace(0, 1, 2 * MIN_SLICE_ROWS),
            "c": ["a"] * MIN_SLICE_ROWS + ["b"] * (MIN_SLICE_ROWS - 1) + [None],
        }
    )
    table = slice_table("BINARY_CLASSIFICATION", frame, "c", 0.5)
    assert [(r.value, r.count) for r in table.rows] == [("a", 30), ("other (2 values)", 30)]


def test_only_the_largest_values_get_rows() -> None:
    n = MAX_SLICE_VALUES + 5
    frame = pd.DataFrame(
        {
            "label": np.zeros(n * 40),
            "score": np.zeros(n * 40),
            "c": np.repeat([f"v{i:02d}" for i in range(n)], 40),
        }
    )
    rows = slice_table("REGRESSION", frame, "c", 0.5).rows
    assert len(rows) == MAX_SLICE_VALUES + 1
    assert rows[0].value == "v00"  # equal counts: by name
    assert rows[-1].value == "other (5 values)" and rows[-1].count == 200


def test_missing_values_form_their_own_value() -> None:
    frame = regression_holdout(200)
    frame.loc[:59, "channel"] = None
    frame.loc[60:99, "channel"] = ""  # how the training frame spells a null category
    rows = slice_table("REGRESSION", frame, "channel", 0.5).rows
    assert (rows[0].value, rows[0].count) == (MISSING, 100)


@pytest.mark.parametrize(
    ("column", "note"),
    [("nowhere", "the holdout has no column nowhere"), ("empty", "empty has no values")],
)
def test_a_column_without_values_says_so(column: str, note: str) -> None:
    frame = binary_holdout(100)
    frame["empty"] = None
    table = slice_table("BINARY_CLASSIFICATION", frame, column, 0.5)
    assert table.rows == () and table.note is not None and note in table.note


def test_binary_metrics_are_none_where_undefined() -> None:
    negatives = pd.DataFrame({"label": [0.0] * 40, "score": np.linspace(0, 0.3, 40)})
    metrics = group_metrics("BINARY_CLASSIFICATION", negatives, 0.5)
    assert metrics == {"PR-AUC": None, "ROC-AUC": None, "precision": None, "recall": None}


def test_binary_metrics_at_the_threshold() -> None:
    frame = pd.DataFrame({"label": [1.0, 1.0, 0.0, 0.0], "score": [0.9, 0.4, 0.6, 0.1]})
    metrics = group_metrics("BINARY_CLASSIFICATION", frame, 0.5)
    assert metrics["precision"] == 0.5 and metrics["recall"] == 0.5
    assert metrics["ROC-AUC"] == 0.75
    assert group_metrics("BINARY_CLASSIFICATION", frame, 0.35)["recall"] == 1.0


def test_regression_and_multiclass_metrics() -> None:
    reg = pd.DataFrame({"label": [1.0, 2.0, 3.0], "score": [1.0, 2.0, 6.0]})
    assert group_metrics("REGRESSION", reg, 0.5) == {"MAE": 1.0, "RMSE": 3**0.5}
    multi = pd.DataFrame({"label": ["a", "b", "b", "c"], "predicted": ["a", "b", "c", "c"]})
    metrics = group_metrics("MULTICLASS_CLASSIFICATION", multi, 0.5)
    assert metrics["accuracy"] == 0.75
    assert metrics["macro-F1"] == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)
