"""The scores' promise: what a binary champion's scores promise its primary metric to be
on the predictions they scored (the estimate before labels, `estimate.py`), against what
the labels give on the same predictions. Labels that break it open CONCEPT_DRIFT
(`labelled_judge.py`): the scores no longer mean what they meant, while a covariate shift
moves the promise and the labels together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streamops.pipeline.drift_spec import Performance
from streamops.pipeline.model_spec import higher_is_better
from streamops.state import PartitionState
from streamops_monitoring.budget import bound_budget
from streamops_monitoring.performance import likely_noise
from streamops_monitoring.reference import Reference


@dataclass(slots=True)
class Promise:
    """The champion's primary metric over its latest window of labels (``value``) against
    the one its scores promise there (``promised``, `estimate.estimate`), less the excess
    of promise of its first whole window (``excess``: a model whose scores promised more
    than its labels gave from the start is miscalibrated, not drifting; a new champion's
    first window sets its own) and ``errors``, that window's error rate (the baseline of
    an episode the promise opens). ``broken``: even the best the labels' bootstrap allows
    is below ``limit``, ``max_drop`` short of what is expected; ``kept``: the value is
    back within half of ``max_drop``; ``false_alarm_windows``: the gate's budget for
    labels that keep the promise (`budget.bound_budget`), once the value is below
    ``limit`` (None before)."""

    metric: str
    value: float
    promised: float
    excess: float
    errors: float
    limit: float
    broken: bool
    kept: bool
    false_alarm_windows: str | None = None

    def details(self) -> dict[str, str]:
        return {
            f"{self.metric}_labelled": f"{self.value:.4g}",
            f"{self.metric}_promised": f"{self.promised:.4g}",
            f"{self.metric}_promised_excess": f"{self.excess:.4g}",
        }


def promise_of(
    state: PartitionState,
    ref: Reference,
    recent: list[list[Any]],
    realised: dict[str, float],
    guess: dict[str, float],
    metric: str | None,
    task: str,
    spec: Performance,
) -> Promise | None:
    """The champion's ``metric`` over its latest whole window of labels ``recent``
    (``realised``) against what its scores promise there (``guess``); None if either is
    undefined, the metric is not one to be promised (lower is better), or the window is
    not whole yet. The first whole window's excess of promise is kept as the champion's
    own (state ``owner:promise:{version}``)."""
    if metric is None or not higher_is_better(metric) or len(recent) < spec.window:
        return None
    value, promised = realised.get(metric), guess.get(metric)
    if value is None or promised is None:
        return None
    key = f"owner:promise:{ref.version}"
    first = state.get(key)
    if first is None:
        first = [max(promised - value, 0.0), realised.get("error_rate", 0.0)]
        state.set(key, first)
    excess, errors = first
    expected = promised - excess
    limit = expected * (1 - spec.max_drop)
    broken, budget = False, None
    if value < limit:  # beyond what the labels' noise explains?
        noise = likely_noise(task, recent, ref.threshold, metric, seed=ref.version)
        broken = noise is not None and noise[0] < limit
        if noise is not None:  # were the labels to keep the promise
            budget = bound_budget(expected, value, *noise, limit, True)
    kept = value >= expected * (1 - spec.max_drop / 2)
    return Promise(metric, value, promised, excess, errors, limit, broken, kept, budget)
