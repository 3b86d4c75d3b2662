"""The gates a candidate passes before it may serve: its data, its features, the champion.

Each gate gives a `GateResult` (name, verdict, detail) for the Deployment record.
`beats_champion` is a paired bootstrap on the same holdout: both models' predictions are
resampled with the same row draws, and the candidate passes when its gain in the primary
metric exceeds the margin in at least ``confidence`` of the resamples.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from streamops.bootstrap import Ranked, bootstrap
from streamops.pipeline.model_spec import Gates, Task, higher_is_better
from streamops_training.frame import Frame
from streamops_training.model_metrics import metric


@dataclass(frozen=True)
class GateResult:
    """One gate's verdict and why."""

    name: str
    passed: bool
    detail: str


def data_checks(
    train: Frame,
    evaluated: Sequence[Frame],
    task: Task,
    gates: Gates,
    current: Collection[str],
    classes: Sequence[object] = (),
) -> list[GateResult]:
    """Enough labels, every class (``classes``, and any other found) in every part, no
    feature entirely null in training, and every feature in the current features schema."""
    y = train.data["label"].to_numpy()
    labelled = len(y) + sum(len(f.data) for f in evaluated)
    out = [
        GateResult(
            "enough_labels",
            labelled >= gates.min_labels,
            f"{labelled} labelled rows (at least {gates.min_labels})",
        )
    ]
    if task != "regression":
        parts = [("train", train), *zip(("validation", "holdout"), evaluated, strict=False)]
        counts = {
            n: dict(zip(*np.unique(f.data["label"], return_counts=True), strict=True))
            for n, f in parts
        }
        found = {c for per in counts.values() for c in per}
        classes = sorted(found | set(classes), key=str)
        short = [
            f"{n} has {per.get(c, 0)} of class {c}"
            for n, per in counts.items()
            for c in classes
            if per.get(c, 0) < (gates.min_positives if n == "train" else 1)
        ]
        if len(classes) < 2:
            short.insert(0, f"only class {', '.join(map(str, classes))} in the data")
        out.append(
            GateResult(
                "every_class_present",
                not short,
                "; ".join(short)
                or f"classes {', '.join(map(str, classes))}; "
                f"at least {gates.min_positives} each in train",
            )
        )
    empty = [n for n in train.features if _all_null(train, n)]
    out.append(
        GateResult(
            "no_feature_all_null",
            not empty,
            f"entirely null in training: {', '.join(empty)}"
            if empty
            else "every feature has values",
        )
    )
    out.append(feature_names_gate(train.features, current))
    return out


def _all_null(frame: Frame, name: str) -> bool:
    values = frame.data[name].to_numpy()
    if not len(values):  # no rows: enough_labels says so, once
        return False
    if name in frame.numeric:
        return bool(np.isnan(values.astype(np.float64)).all())
    return bool((values == "").all())


def feature_names_gate(features: Sequence[str], current: Collection[str]) -> GateResult:
    """Whether every feature a model reads is in the current features schema."""
    missing = [f for f in features if f not in current]
    return GateResult(
        "features_in_schema",
        not missing,
        f"not in the current features schema: {', '.join(missing)}"
        if missing
        else f"{len(features)} features, all in the current schema",
    )


def beats_champion(
    y: np.ndarray,
    candidate: np.ndarray,
    champion: np.ndarray,
    metric_name: str,
    task: Task,
    gates: Gates,
    seed: int,
    thresholds: tuple[float | None, float | None] = (None, None),
    classes: Sequence[str] = (),
) -> GateResult:
    """The paired bootstrap of the candidate's gain over the champion on the same rows."""
    sign = 1.0 if higher_is_better(metric_name) else -1.0

    if metric_name in ("pr_auc", "roc_auc"):  # sorted once, not once per resample
        ranked = Ranked(y, candidate), Ranked(y, champion)

        def gain(w: np.ndarray | None) -> float:
            return sign * (ranked[0].value(metric_name, w) - ranked[1].value(metric_name, w))

    else:

        def gain(w: np.ndarray | None) -> float:
            c = metric(metric_name, task, y, candidate, thresholds[0], classes, w)
            h = metric(metric_name, task, y, champion, thresholds[1], classes, w)
            return sign * (c - h)

    observed = gain(None)
    gains = bootstrap(gain, len(y), count=gates.bootstrap, seed=seed)
    gains[np.isnan(gains)] = -np.inf  # a resample without one of the classes: no gain shown
    share = float(np.mean(gains > gates.margin))
    low = float(np.quantile(gains, 1 - gates.confidence))
    return GateResult(
        "beats_champion",
        share >= gates.confidence,
        f"{metric_name} gain {observed:+.4f}; above the margin {gates.margin:g} in "
        f"{share:.1%} of {gates.bootstrap} paired resamples (need {gates.confidence:.0%}); "
        f"{1 - gates.confidence:.0%} quantile of the gain {low:+.4f}",
    )


def beats_no_skill(
    y: np.ndarray,
    candidate: np.ndarray,
    task: Task,
    metric_name: str,
    gates: Gates,
    seed: int,
    threshold: float | None = None,
    classes: Sequence[str] = (),
) -> GateResult:
    """A first model, with no champion to beat, must beat a constant prediction on its
    holdout, as `beats_champion` judges a gain: a model that learned noise does not serve.

    The constant: any single score for binary (judged on ROC-AUC, where it is 0.5 and a
    threshold plays no part), the holdout's mean for regression, its class shares for
    multiclass (judged on the primary metric)."""
    n = len(y)
    if task == "binary":
        constant, metric_name = np.full(n, 0.5), "roc_auc"
    elif task == "regression":
        constant = np.full(n, float(np.mean(y)))
    else:
        shares = np.array([np.mean(y.astype(str) == c) for c in classes], dtype=np.float64)
        constant = np.tile(shares, (n, 1))
    verdict = beats_champion(
        y, candidate, constant, metric_name, task, gates, seed, (threshold, threshold), classes
    )
    return GateResult("beats_no_skill", verdict.passed, f"against a constant: {verdict.detail}")
