"""Performance estimated from the scores alone, before the labels come (NannyML's CBPE idea).

If a binary model's scores are calibrated, a prediction scored ``s`` is positive with
probability ``s``. Counting each prediction as ``s`` of a positive and ``1 - s`` of a
negative gives the expected confusion matrix at every threshold, and from it the expected
precision, recall, and the areas under the ROC and precision-recall curves, for a window
whose labels are days away. Once the labels come, the realised figures sit beside the
estimate and their gap says how far to trust it (a growing gap: the scores are no longer
calibrated, itself a sign of concept drift).

Scores arrive as a histogram of 100 equal bins of [0, 1] (what partials carry), each bin
standing for its centre.
"""

from __future__ import annotations

import numpy as np

BINS = 100


def histogram(scores: list[float | None]) -> list[int]:
    """The scores counted in `BINS` equal bins of [0, 1]."""
    values = np.asarray([s for s in scores if s is not None], dtype=np.float64)
    index = np.clip((values * BINS).astype(np.int64), 0, BINS - 1)
    return [int(c) for c in np.bincount(index, minlength=BINS)]


def estimate(counts: list[int] | np.ndarray, threshold: float) -> dict[str, float]:
    """Expected precision, recall, F1, error rate, ROC-AUC and PR-AUC of a binary model
    whose scores fell as ``counts`` say, at decision threshold ``threshold``."""
    n = np.asarray(counts, dtype=np.float64)
    total = n.sum()
    if total == 0:
        return {}
    p = (np.arange(BINS) + 0.5) / BINS
    # from the highest bin down: expected true and false positives at each threshold
    tp = np.cumsum((n * p)[::-1])
    fp = np.cumsum((n * (1 - p))[::-1])
    positives, negatives = tp[-1], fp[-1]
    out: dict[str, float] = {}
    cut = BINS - int(np.clip(np.floor(threshold * BINS), 0, BINS))  # bins at or above
    tp_t = tp[cut - 1] if cut > 0 else 0.0
    fp_t = fp[cut - 1] if cut > 0 else 0.0
    fn_t = positives - tp_t
    out["precision"] = float(tp_t / (tp_t + fp_t)) if tp_t + fp_t > 0 else 0.0
    out["recall"] = float(tp_t / positives) if positives > 0 else 0.0
    if out["precision"] + out["recall"] > 0:
        out["f1"] = 2 * out["precision"] * out["recall"] / (out["precision"] + out["recall"])
    out["error_rate"] = float((fp_t + fn_t) / total)
    if positives > 0 and negatives > 0:
        tpr = np.concatenate([[0.0], tp / positives])
        fpr = np.concatenate([[0.0], fp / negatives])
        out["roc_auc"] = float(np.trapezoid(tpr, fpr))
        precision = tp / np.maximum(tp + fp, 1e-12)
        recall_steps = np.diff(np.concatenate([[0.0], tp / positives]))
        out["pr_auc"] = float(np.sum(recall_steps * precision))
    return out
