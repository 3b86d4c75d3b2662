"""The labelled alerts' false-alarm budgets (`streamops_monitoring.budget`) against
simulated gates on windows where nothing drifts."""

from __future__ import annotations

import numpy as np
import pytest

from streamops_monitoring.budget import bound_budget, error_rate_budget, windows_between
from streamops_monitoring.concept import tolerated


@pytest.mark.parametrize(
    ("rate", "drop", "window", "n"),
    [(0.05, 0.0, 2000, 2000), (0.2, 0.1, 2000, 500), (0.007, 0.1, 10_000, 3000)],
)
def test_the_error_rate_budget_is_how_often_the_gate_opens_on_stable_errors(
    rate: float, drop: float, window: int, n: int
) -> None:
    """The gate compares the latest window's rate with a rate before of ``n`` labels, both
    drawn at the same true rate: it opens about once in the stated number of windows (the
    last case is the fraud demo's: a rate before of a few thousand labels)."""
    rng = np.random.default_rng(7)
    draws = 200_000
    before = rng.binomial(n, rate, draws) / n
    latest = rng.binomial(window, rate, draws) / window
    limits = np.array([tolerated(b, drop, window, n) for b in before])
    stated = float(error_rate_budget(rate, drop, window, n))
    assert 1 / np.mean(latest > limits) == pytest.approx(stated, rel=0.2)


def test_the_bound_budget_is_the_normal_tail_beyond_the_limit() -> None:
    # a figure of 0.8 whose windows spread by 0.05, judged at its bound 0.08 better than
    # itself, against a limit of 0.72: a false alarm needs a window below 0.64, 3.2 sd
    assert bound_budget(0.8, 0.5, 0.58, 0.05, 0.72, higher=True) == "1.46e+03"
    rng = np.random.default_rng(3)
    windows = rng.normal(0.8, 0.05, 2_000_000)
    assert 1 / np.mean(windows + 0.08 < 0.72) == pytest.approx(1455, rel=0.1)
    # lower is better (an error): the same gate mirrored
    assert bound_budget(0.2, 0.5, 0.42, 0.05, 0.28, higher=False) == "1.46e+03"
    # no spread: never, or every window
    assert bound_budget(0.8, 0.8, 0.8, 0.0, 0.72, higher=True) == "inf"
    assert bound_budget(0.7, 0.7, 0.7, 0.0, 0.72, higher=True) == "1"


def test_windows_between() -> None:
    assert windows_between(0.001) == "1e+03"
    assert windows_between(0.0) == "inf"
