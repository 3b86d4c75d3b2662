"""MODEL_PERFORMANCE: the champion's primary metric over its latest labels against its
holdout figure, the sampling noise of both allowed for.
"""

from __future__ import annotations

from typing import Any

from streamops.alerts import Measurement
from streamops.pipeline.drift_spec import Performance
from streamops.pipeline.model_spec import HOLDOUT_LOWER, higher_is_better
from streamops_monitoring.budget import bound_budget
from streamops_monitoring.performance import likely_noise
from streamops_monitoring.reference import Reference

#: A MODEL_PERFORMANCE alert's extent: "level N", the figure N ``max_drop`` short of the
#: holdout's (its lower bound, `HOLDOUT_LOWER`)
LEVEL = "level "


def model_performance(
    spec: Performance,
    task: str,
    metric: str,
    ref: Reference,
    figures: dict[str, float],
    rows: list[list[Any]],
    found: frozenset[str],
) -> Measurement | None:
    """MODEL_PERFORMANCE once the primary metric is beyond ``max_drop`` of the holdout's
    figure, noise allowed on both sides: the holdout's figure as bad as its bootstrap
    allows (training's, `HOLDOUT_LOWER`; a holdout of 50 frauds may flatter a model by
    several points), the rolling window's as good as its own allows (95%); it resolves
    once the figure itself is back within half of ``max_drop``. Its false-alarm budget
    (`budget.bound_budget`) is for a model as good as its holdout's figure. ``found``:
    the open alert's extent (empty: none open). Its extent is how many ``max_drop``
    the figure is short of the holdout's (`LEVEL`, on the bound too): a figure that
    falls a whole ``max_drop`` further while the alert is open emits it again, so a
    retrain the gates rejected near the holdout's figure is asked for again (training
    takes an OPEN record after its job as a new question)."""
    value, holdout = figures.get(metric), ref.metrics.get(metric)
    # the holdout's figure as bad as its own sampling noise allows (training files it
    # beside the figure); a version trained before it was filed has the figure only
    reference = ref.metrics.get(f"{HOLDOUT_LOWER}.{metric}", holdout)
    if value is None or reference is None or holdout is None:
        return None
    drop = spec.max_drop
    higher = higher_is_better(metric)
    if higher:
        limit, back = reference * (1 - drop), reference * (1 - drop / 2)
        worse, better = value < limit, value >= back
    else:
        limit, back = reference * (1 + drop), reference * (1 + drop / 2)
        worse, better = value > limit, value <= back
    reached = max((int(e.removeprefix(LEVEL)) for e in found), default=0)
    extent: frozenset[str] = frozenset()
    details = {
        "holdout": f"{holdout:.4g}",
        "holdout_lower": f"{reference:.4g}",
        "labels": str(spec.window),
    }
    if worse and _levels(value, reference, drop, higher) > reached:
        # beyond what the window's noise explains? (and by how many levels)
        noise = likely_noise(task, rows, ref.threshold, metric, seed=ref.version)
        bound = None if noise is None else noise[0]
        level = _levels(value if bound is None else bound, reference, drop, higher)
        if noise is not None:  # were the model as good as its holdout says
            details["false_alarm_windows"] = bound_budget(holdout, value, *noise, limit, higher)
        worse = level >= 1 or bool(found)
        extent = frozenset({f"{LEVEL}{level}"}) if level > reached else frozenset()
        details["level"] = str(level)  # max_drop short of the holdout, noise allowed
    return Measurement(
        f"model_performance:{ref.model_name}",
        metric,
        value,
        limit,
        opens=worse,
        resolves=better,
        details=details,
        summary=f"{metric} of {ref.model_name}:{ref.version} is {value:.4g}, "
        f"{'below' if higher else 'above'} {limit:.4g} "
        f"(holdout {holdout:.4g}, at worst {reference:.4g}) on its latest labelled "
        "predictions",
        extent=extent,
    )


def _levels(value: float, reference: float, drop: float, higher: bool) -> int:
    """How many whole ``drop`` (shares of ``reference``) ``value`` is short of it."""
    if reference == 0:
        return 0
    short = (1 - value / reference) if higher else (value / reference - 1)
    return max(int(short / drop + 1e-9), 0)
