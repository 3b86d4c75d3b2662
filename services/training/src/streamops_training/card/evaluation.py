"""The card's sections on the holdout: plots, metrics by slice, feature importance,
caveats; computed from the labelled holdout rows only."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from streamops_training.card import curves, plots
from streamops_training.card.blocks import Block, Bullets, Figure, Paragraph, Section, Table
from streamops_training.card.inputs import PREDICTION_COLUMN, CardInputs
from streamops_training.card.sections import label_delay_sentence, number
from streamops_training.card.slices import (
    MIN_SLICE_ROWS,
    NOISY_SLICE_ROWS,
    SLICE_METRICS,
    SliceTable,
    slice_table,
    summary_row,
)

#: The first row of each slice table: the whole holdout, to compare each value with.
ALL_ROWS = "(all rows)"


def labelled(card: CardInputs) -> pd.DataFrame:
    """The holdout rows with a label and a prediction."""
    return card.holdout.dropna(subset=["label", PREDICTION_COLUMN[card.task]])


def holdout_plots(card: CardInputs, rows: pd.DataFrame) -> Section:
    """The task's plots: curves, calibration and confusion, or residuals."""
    y = rows["label"].to_numpy()
    predicted = rows[PREDICTION_COLUMN[card.task]].to_numpy()
    figures: tuple[Figure, ...]
    if card.task == "BINARY_CLASSIFICATION":
        y, score = y.astype(int), predicted.astype(float)
        t = card.threshold
        names = np.array(["negative", "positive"])
        figures = (
            curves.roc(y, score, t),
            curves.precision_recall(y, score, t),
            curves.calibration(y, score),
            plots.confusion(names[y], names[(score >= t).astype(int)], list(names)),
        )
    elif card.task == "MULTICLASS_CLASSIFICATION":
        y, predicted = y.astype(str), predicted.astype(str)
        classes = sorted(set(y) | set(predicted))
        figures = (plots.confusion(y, predicted, classes),)
    else:
        y, predicted = y.astype(float), predicted.astype(float)
        figures = (plots.residuals(y, predicted), plots.residual_histogram(y, predicted))
    return Section("Plots on the holdout", figures)


def by_slice(card: CardInputs, rows: pd.DataFrame, tables: list[SliceTable]) -> Section:
    """For each slice column: a table of its values' metrics (after the whole holdout's)
    and a bar chart."""
    if not tables:
        return Section("Metrics by slice", (Paragraph("No slice columns were given."),))
    names = SLICE_METRICS[card.task]
    binary = card.task == "BINARY_CLASSIFICATION"
    header = ("value", "rows", *(("positives",) if binary else ()), *names)
    blocks: list[Block] = [
        Paragraph(
            f"{ALL_ROWS} is the whole holdout. Values with fewer than {MIN_SLICE_ROWS} "
            "labelled rows count together as other; metrics that are undefined on a value "
            "(e.g. an AUC with one class) are n/a."
            + (f" Precision and recall at the threshold {card.threshold:.4g}." if binary else "")
        )
    ]
    overall = summary_row(card.task, rows, ALL_ROWS, card.threshold)
    for i, table in enumerate(tables):
        if table.note:
            blocks.append(Paragraph(f"{table.column}: {table.note}."))
            continue
        table = dataclasses.replace(table, rows=(overall, *table.rows))
        cells = tuple(
            (
                r.value,
                f"{r.count:,}",
                *((f"{r.positives:,}",) if r.positives is not None else ()),
                *(number(r.metrics[m]) for m in names),
            )
            for r in table.rows
        )
        blocks.append(Paragraph(f"By {table.column}:"))
        blocks.append(Table(header, cells))
        blocks.append(plots.slice_bars(table, names[0], i))
    return Section("Metrics by slice", tuple(blocks))


def importance(card: CardInputs) -> Section:
    """The most important features, as a table and bars."""
    if not card.importance:
        return Section("Feature importance", (plots.importance_bars(None),))
    top = plots.top_features(card.importance)
    table = Table(
        ("rank", "feature", "importance"),
        tuple((str(i), n, number(v)) for i, (n, v) in enumerate(top, 1)),
    )
    caption = Paragraph(
        f"The {len(top)} most important of {len(card.importance)} features"
        " (permutation importance on the holdout)."
    )
    return Section("Feature importance", (caption, table, plots.importance_bars(card.importance)))


def caveats(card: CardInputs, rows: pd.DataFrame, tables: list[SliceTable]) -> Section:
    """What the numbers above do not say."""
    items = [
        "All metrics and plots are on the holdout: the most recent labelled events before "
        "the cut-off, not on live traffic.",
        f"Metrics by slice on fewer than {NOISY_SLICE_ROWS} rows are noisy.",
        label_delay_sentence(card),
    ]
    noisy = [
        f"{t.column} = {r.value} ({r.count} rows)"
        for t in tables
        for r in t.rows
        if r.count < NOISY_SLICE_ROWS
    ]
    if noisy:
        items.append(f"Slices under {NOISY_SLICE_ROWS} rows here: {'; '.join(noisy)}.")
    dropped = len(card.holdout) - len(rows)
    if dropped:
        items.append(f"{dropped:,} holdout rows without a label or prediction are left out.")
    if card.task == "BINARY_CLASSIFICATION" and len(rows):
        rate = float(rows["label"].astype(float).mean())
        items.append(
            f"The holdout has {rate:.2%} positives"
            + (
                "; at so low a rate accuracy says little: read PR-AUC, precision and recall."
                if rate < 0.1
                else "."
            )
        )
    return Section("Caveats", (Bullets(tuple(items)),))


def slice_tables(card: CardInputs, rows: pd.DataFrame) -> list[SliceTable]:
    """One table per slice column of the card."""
    return [slice_table(card.task, rows, c, card.threshold) for c in card.slices]
