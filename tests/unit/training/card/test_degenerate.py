"""Inputs a card must survive with a clear sentence: one class, no slices' values, no
importance, no threshold, an empty holdout; and inputs it must refuse."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from streamops_training.card import CardInputError, DatasetIdentity, render_card
from streamops_training.card.curves import calibration
from tests.unit.training.card.html_check import Page
from tests.unit.training.card.synthetic import binary_holdout, inputs, regression_holdout


def test_a_one_class_holdout_says_the_curves_are_undefined() -> None:
    holdout = binary_holdout(500)
    holdout["label"] = 0.0
    card = render_card(inputs("BINARY_CLASSIFICATION", holdout))
    for text in (card.markdown, card.html):
        assert "ROC undefined: the holdout has no positives." in text
        assert "PR curve undefined: the holdout has no positives." in text
        assert "No plot of PR-AUC by country: PR-AUC is undefined on every value." in text
    # calibration, confusion matrix, importance: still drawn
    assert Page(card.html).count("svg") == 3
    assert "| DE | " in card.markdown and "| n/a | n/a | n/a | n/a |" in card.markdown


def test_an_all_positive_holdout_says_there_are_no_negatives() -> None:
    holdout = binary_holdout(200)
    holdout["label"] = 1.0
    md = render_card(inputs("BINARY_CLASSIFICATION", holdout)).markdown
    assert "ROC undefined: the holdout has no negatives." in md


def test_an_empty_holdout_renders() -> None:
    empty = binary_holdout(10).iloc[:0]
    card = render_card(inputs("BINARY_CLASSIFICATION", empty))
    assert "ROC undefined: the holdout is empty." in card.markdown
    assert "Calibration undefined: the holdout is empty." in card.markdown
    assert "Confusion matrix undefined: the holdout is empty." in card.markdown
    assert "country has no values in the holdout." in card.markdown


def test_no_importance_no_slices_no_intended_use_no_threshold() -> None:
    card = render_card(
        inputs(
            "REGRESSION",
            regression_holdout(300),
            importance=None,
            slices=(),
            intended_use="  ",
            champion=None,
            gates=(),
            params={},
            run_id=None,
            parent_version=None,
            label_delay=None,
            dataset=DatasetIdentity("", 1_796_000_000_000),
        )
    )
    md = card.markdown
    assert "No feature importance was computed for this version." in md
    assert "No slice columns were given." in md
    assert "Not stated in the spec." in md
    assert "No gates were evaluated for this version." in md
    assert "Decision threshold" not in md
    assert "| parent (champion when trained) | none (first version) |" in md
    assert "The label delay is not recorded" in md
    assert "| dataset content hash | not recorded |" in md
    assert "| schema ids | not recorded |" in md
    assert "No offset ranges were recorded." in md
    assert Page(card.html).count("svg") == 2  # the residual plots


def test_an_empty_slice_column_says_so() -> None:
    holdout = binary_holdout(300)
    holdout["channel"] = None
    md = render_card(inputs("BINARY_CLASSIFICATION", holdout)).markdown
    assert "channel: channel has no values in the holdout." in md


def test_binary_without_threshold_uses_one_half() -> None:
    card = inputs("BINARY_CLASSIFICATION", binary_holdout(300), decision_threshold=None)
    assert card.threshold == 0.5
    md = render_card(card).markdown
    assert "No decision threshold is recorded; the plots and slices below use 0.5." in md


def test_unlabelled_rows_are_left_out_and_counted() -> None:
    holdout = binary_holdout(300)
    holdout.loc[:9, "label"] = np.nan
    md = render_card(inputs("BINARY_CLASSIFICATION", holdout)).markdown
    assert "10 holdout rows without a label or prediction are left out." in md


def test_scores_outside_zero_one_have_no_calibration() -> None:
    figure = calibration(np.array([0, 1]), np.array([-0.5, 2.0]))
    assert figure.svg is None
    assert figure.note == "Calibration undefined: scores are outside [0, 1]."


def test_unknown_task_and_missing_columns_are_refused() -> None:
    with pytest.raises(CardInputError, match="task 'RANKING'"):
        inputs("RANKING", binary_holdout(10))  # type: ignore[arg-type, unused-ignore]
    with pytest.raises(CardInputError, match="needs the column\\(s\\) predicted"):
        inputs("MULTICLASS_CLASSIFICATION", pd.DataFrame({"label": ["a"], "score": [1.0]}))
    with pytest.raises(CardInputError, match="labels must be 0 or 1"):
        inputs("BINARY_CLASSIFICATION", pd.DataFrame({"label": [0.0, 2.0], "score": [0.1, 0.9]}))
