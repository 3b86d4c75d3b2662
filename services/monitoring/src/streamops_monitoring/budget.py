"""False-alarm budgets: the expected number of windows between false alarms of a gate at
its threshold when nothing drifts (Alibi Detect's expected run time), as each alert
states in ``details["false_alarm_windows"]``. The drift tests take theirs from null
models sampled from the reference (`drift_judge.py`); the labelled alerts' come from the
noise their own gates allow for, with the champion erring or performing as its reference
says: the rate before the change for the error rate, the holdout's figure for
MODEL_PERFORMANCE, the scores' promise for the promise. Each is a lower bound: windows
overlap, so an exceedance comes with its neighbours and alerts are rarer than
exceedances, and CONCEPT_DRIFT's error rate also needs its detector to have seen a
change."""

from __future__ import annotations

import math


def windows_between(chance: float) -> str:
    """Expected windows between false alarms, from a window's chance of one."""
    return "inf" if chance <= 0 else f"{1 / chance:.3g}"


def _normal_tail(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def error_rate_budget(rate: float, drop: float, window: int, measured_on: int) -> str:
    """The budget of the error-rate gate (`concept.tolerated`) for a champion that keeps
    erring at ``rate``, judged on ``window`` labels against a rate before that is itself
    the mean of ``measured_on`` labels. The gate's limit lies two standard errors and
    ``max_drop`` of the rate before above it; it moves with that rate's own noise (by
    ``1 + max_drop``, and through the standard error), which the spread of the
    difference counts, to first order (normal)."""
    w, n = max(window, 1), max(measured_on, 1)
    variance = rate * (1 - rate)
    if variance <= 0:
        return "inf"
    sigma = math.sqrt(variance * (1 / w + 1 / n))  # the gate's standard error
    slope = (1 + drop) + (1 - 2 * rate) * (1 / w + 1 / n) / sigma  # d limit / d rate before
    spread = math.sqrt(variance / w + slope**2 * variance / n)
    return windows_between(_normal_tail((rate * drop + 2 * sigma) / spread))


def bound_budget(
    expected: float, value: float, bound: float, spread: float, limit: float, higher: bool
) -> str:
    """The budget of a gate that opens when a window's figure at its best (``bound``:
    ``value`` moved towards better by its bootstrap) is beyond ``limit``, for a model
    whose figure is ``expected``: the window's figure drawn around ``expected`` with
    the spread of its bootstrap (normal), moved by the same margin."""
    margin = bound - value
    if spread <= 0:
        beyond = expected + margin < limit if higher else expected + margin > limit
        return "1" if beyond else "inf"
    z = (limit - margin - expected) / spread
    return windows_between(_normal_tail(-z) if higher else _normal_tail(z))
