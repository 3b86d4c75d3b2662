"""The binary classifier's plots: ROC and precision-recall curves with the operating point
at the decision threshold, and the calibration (reliability) curve with its bins.

Each returns a `Figure` block: the SVG, or the sentence saying why the plot is undefined
(an empty holdout, one class only, scores outside [0, 1]).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure as MplFigure
from sklearn.calibration import calibration_curve
from sklearn.metrics import auc, precision_recall_curve, roc_curve

from streamops_training.card.blocks import Figure
from streamops_training.card.svg import render_svg

#: Bins of the reliability curve, of equal width over [0, 1].
CALIBRATION_BINS = 10
#: Curves are thinned to this many points: a 40,000-row PR curve is not drawn point by point.
_CURVE_POINTS = 1000


def one_class_problem(y: np.ndarray) -> str | None:
    """Why ranking curves are undefined on these labels, or None when both classes exist."""
    if len(y) == 0:
        return "the holdout is empty"
    if not (y == 1).any():
        return "the holdout has no positives"
    if not (y == 0).any():
        return "the holdout has no negatives"
    return None


def _thin(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    n = len(arrays[0])
    if n <= _CURVE_POINTS:
        return arrays
    keep = np.unique(np.linspace(0, n - 1, _CURVE_POINTS).round().astype(int))
    return tuple(a[keep] for a in arrays)


def roc(y: np.ndarray, score: np.ndarray, threshold: float) -> Figure:
    """ROC curve, its AUC, and the (FPR, TPR) of the threshold."""
    problem = one_class_problem(y)
    if problem:
        return Figure("ROC curve", note=f"ROC undefined: {problem}.")
    fpr, tpr, _ = roc_curve(y, score)
    point = ((score[y == 0] >= threshold).mean(), (score[y == 1] >= threshold).mean())

    def draw(fig: MplFigure) -> None:
        ax = fig.subplots()
        fx, fy = _thin(fpr, tpr)
        ax.plot(fx, fy, label=f"model (AUC {auc(fpr, tpr):.3f})")
        ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=0.8, label="chance")
        ax.plot(*point, "o", c="crimson", label=f"threshold {threshold:.3g}")
        ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC curve")
        ax.legend(loc="lower right")

    return Figure("ROC curve", svg=render_svg(draw, "roc"))


def precision_recall(y: np.ndarray, score: np.ndarray, threshold: float) -> Figure:
    """Precision-recall curve, the positives' share as the baseline, and the threshold."""
    problem = one_class_problem(y)
    if problem:
        return Figure("Precision-recall curve", note=f"PR curve undefined: {problem}.")
    precision, recall, _ = precision_recall_curve(y, score)
    flagged = score >= threshold
    point = (flagged[y == 1].mean(), y[flagged].mean() if flagged.any() else np.nan)

    def draw(fig: MplFigure) -> None:
        ax = fig.subplots()
        rx, px = _thin(recall, precision)
        ax.step(rx, px, where="post", label="model")
        ax.axhline(y.mean(), ls="--", c="grey", lw=0.8, label=f"base rate {y.mean():.3%}")
        if flagged.any():
            ax.plot(*point, "o", c="crimson", label=f"threshold {threshold:.3g}")
        ax.set(xlabel="recall", ylabel="precision", ylim=(0, 1.02), title="Precision-recall")
        ax.legend(loc="upper right")

    return Figure("Precision-recall curve", svg=render_svg(draw, "pr"))


def calibration(y: np.ndarray, score: np.ndarray) -> Figure:
    """Observed positive rate against the mean score per bin, and the rows in each bin."""
    title = "Calibration (reliability) curve"
    if len(y) == 0:
        return Figure(title, note="Calibration undefined: the holdout is empty.")
    if score.min() < 0 or score.max() > 1:
        return Figure(title, note="Calibration undefined: scores are outside [0, 1].")
    observed, predicted = calibration_curve(y, score, n_bins=CALIBRATION_BINS)
    edges = np.linspace(0, 1, CALIBRATION_BINS + 1)

    def draw(fig: MplFigure) -> None:
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
        top.plot([0, 1], [0, 1], ls="--", c="grey", lw=0.8, label="perfectly calibrated")
        top.plot(predicted, observed, "o-", label="model")
        top.set(ylabel="observed positive rate", title=title)
        top.legend(loc="upper left")
        bottom.hist(score, bins=edges, log=True, color="steelblue")
        bottom.set(xlabel="score (the curve's bins)", ylabel="rows")

    return Figure(title, svg=render_svg(draw, "calibration", size=(4.8, 4.2)))
