"""The card's other plots: confusion matrix, residuals, feature importance, metric by slice.

Each returns a `Figure` block: the SVG, or the sentence saying why there is no plot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure as MplFigure
from sklearn.metrics import confusion_matrix

from streamops_training.card.blocks import Figure
from streamops_training.card.slices import SliceTable
from streamops_training.card.svg import label, render_svg

#: The most important features shown.
TOP_FEATURES = 20
#: Residual scatter points drawn at most (evenly spaced rows); the histogram uses all.
_SCATTER_POINTS = 2000


def confusion(y: Sequence[object], predicted: Sequence[object], classes: Sequence[str]) -> Figure:
    """Counts of each (true, predicted) pair, rows the true class."""
    title = "Confusion matrix"
    if len(y) == 0:
        return Figure(title, note="Confusion matrix undefined: the holdout is empty.")
    counts = confusion_matrix(y, predicted, labels=list(classes))
    names = [label(str(c)) for c in classes]

    def draw(fig: MplFigure) -> None:
        ax = fig.subplots()
        # a mesh rather than imshow: vector cells, not a PNG embedded in the SVG
        ax.pcolormesh(counts, cmap="Blues", edgecolors="white", linewidth=0.5)
        ax.invert_yaxis()
        ax.set_aspect("equal")
        ax.grid(False)
        ticks = [i + 0.5 for i in range(len(classes))]
        ax.set_xticks(ticks, names, rotation=45 if len(classes) > 4 else 0, ha="right")
        ax.set_yticks(ticks, names)
        middle = counts.max() / 2
        for (i, j), n in np.ndenumerate(counts):
            ax.text(
                j + 0.5, i + 0.5, f"{n:,}", ha="center", va="center", c="w" if n > middle else "k"
            )
        ax.set(xlabel="predicted", ylabel="true", title=title)

    side = min(3.0 + 0.35 * len(classes), 9.0)
    return Figure(title, svg=render_svg(draw, "confusion", size=(side, side * 0.85)))


def residuals(y: np.ndarray, predicted: np.ndarray) -> Figure:
    """Residual (label minus prediction) against the prediction."""
    title = "Residuals against prediction"
    if len(y) == 0:
        return Figure(title, note="Residuals undefined: the holdout is empty.")
    keep = np.unique(np.linspace(0, len(y) - 1, min(len(y), _SCATTER_POINTS)).astype(int))

    def draw(fig: MplFigure) -> None:
        ax = fig.subplots()
        ax.scatter(predicted[keep], (y - predicted)[keep], s=4, alpha=0.5)
        ax.axhline(0, c="grey", lw=0.8)
        shown = f"{len(keep):,} of {len(y):,} rows" if len(keep) < len(y) else "all rows"
        ax.set(xlabel="prediction", ylabel="label - prediction", title=f"{title} ({shown})")

    return Figure(title, svg=render_svg(draw, "residuals"))


def residual_histogram(y: np.ndarray, predicted: np.ndarray) -> Figure:
    """The distribution of the residuals (label minus prediction)."""
    title = "Residual histogram"
    if len(y) == 0:
        return Figure(title, note="Residual histogram undefined: the holdout is empty.")

    def draw(fig: MplFigure) -> None:
        ax = fig.subplots()
        ax.hist(y - predicted, bins=40, color="steelblue")
        ax.set(xlabel="label - prediction", ylabel="rows", title=title)

    return Figure(title, svg=render_svg(draw, "residual-histogram"))


def top_features(importance: Mapping[str, float]) -> list[tuple[str, float]]:
    """The `TOP_FEATURES` most important features, most important first (ties by name)."""
    return sorted(importance.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_FEATURES]


def importance_bars(importance: Mapping[str, float] | None) -> Figure:
    """Horizontal bars of the top features' importance."""
    title = "Feature importance"
    if not importance:
        return Figure(title, note="No feature importance was computed for this version.")
    top = top_features(importance)

    def draw(fig: MplFigure) -> None:
        ax = fig.subplots()
        ax.barh([label(n) for n, _ in reversed(top)], [v for _, v in reversed(top)])
        ax.set(xlabel="importance (drop in the primary metric when permuted)", title=title)

    return Figure(title, svg=render_svg(draw, "importance", size=(4.8, 1.2 + 0.18 * len(top))))


def slice_bars(table: SliceTable, metric: str, index: int) -> Figure:
    """One metric for each value of a slice column; ``index`` makes the SVG ids unique."""
    title = f"{metric} by {table.column}"
    shown = [(f"{r.value} (n={r.count:,})", r.metrics.get(metric)) for r in table.rows]
    defined = [(v, m) for v, m in shown if m is not None]
    if not defined:
        why = table.note or f"{metric} is undefined on every value"
        return Figure(title, note=f"No plot of {title}: {why}.")

    def draw(fig: MplFigure) -> None:
        ax = fig.subplots()
        ax.barh([label(v) for v, _ in reversed(defined)], [m for _, m in reversed(defined)])
        ax.set(xlabel=metric, title=label(title))

    size = (4.8, 1.2 + 0.18 * len(defined))
    return Figure(title, svg=render_svg(draw, f"slice{index}", size=size))
