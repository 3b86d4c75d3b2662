"""Drift statistics on binned counts, their calibration, and the spec section."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy.spatial.distance import jensenshannon as scipy_js
from scipy.stats import chisquare, wasserstein_distance

from streamops.drift import STATISTICS, binning, corrected, drifted, null_model
from streamops.pipeline import SpecError, drift_spec, load_pipeline
from streamops_training.profile import categorical_profile, numeric_profile

FRAUD = Path(__file__).resolve().parents[3] / "deploy" / "pipelines" / "fraud.yaml"
RNG = np.random.default_rng(3)
REFERENCE = RNG.normal(100, 15, 50_000)
B = binning(numeric_profile("amount", REFERENCE))
assert B is not None


def test_identical_data_scores_near_zero_and_a_shift_scores_high() -> None:
    same = B.count(RNG.normal(100, 15, 5000).tolist())
    moved = B.count(RNG.normal(115, 15, 5000).tolist())
    for test in ("psi", "ks", "wasserstein"):
        calm = float(STATISTICS[test](same, B.expected, B.points, B.scale))
        shifted = float(STATISTICS[test](moved, B.expected, B.points, B.scale))
        assert calm < 0.05 < shifted, test
    # a one-sigma shift: PSI well past 0.2, KS about 0.38, Wasserstein about one std
    assert float(STATISTICS["psi"](moved, B.expected)) > 0.5
    assert 0.3 < float(STATISTICS["ks"](moved, B.expected)) < 0.45
    w = float(STATISTICS["wasserstein"](moved, B.expected, B.points, B.scale))
    exact = wasserstein_distance(REFERENCE, RNG.normal(115, 15, 5000)) / REFERENCE.std()
    assert w == pytest.approx(exact, rel=0.3)  # on ten bins: close, not exact


def test_categorical_tests_match_scipy() -> None:
    b = binning(categorical_profile("c", np.asarray(["a"] * 600 + ["b"] * 300 + ["c"] * 100)))
    assert b is not None
    counts = b.count(["a"] * 40 + ["b"] * 40 + ["c"] * 10 + ["new"] * 10)
    assert counts == [40, 40, 10, 10]  # the unseen value lands in the other bin
    js = float(STATISTICS["jensenshannon"](counts, b.expected))
    assert js == pytest.approx(scipy_js(np.asarray(counts) / 100, b.expected, base=2))
    p = float(STATISTICS["chi2"](counts[:3], b.expected[:3]))
    assert p == pytest.approx(chisquare(counts[:3], np.asarray(b.expected[:3]) * 90).pvalue)
    assert drifted("chi2", p, 0.05) and not drifted("psi", 0.1, 0.2)


def test_calibration_predicts_how_often_stable_windows_cross_a_threshold() -> None:
    n, threshold = 1000, 0.012
    model = null_model(B, "psi", n)
    predicted = model.exceedance(threshold)
    draws = np.random.default_rng(9).multinomial(n, B.expected, size=20_000)
    observed = float(np.mean(STATISTICS["psi"](draws, B.expected) > threshold))
    assert 0.02 < observed < 0.3
    assert predicted == pytest.approx(observed, rel=0.35)
    # the correction only ever raises a distance threshold, or lowers a p-value one
    assert corrected("psi", 0.2, model, 1e-5) == 0.2
    assert corrected("psi", 0.001, model, 1e-5) > 0.01
    assert corrected("chi2", 0.05, null_model(B, "chi2", n), 1e-4) == 1e-4


def _spec(**drift: object) -> dict[str, object]:
    raw = yaml.safe_load(FRAUD.read_text())
    raw["event"]["schema"] = str(FRAUD.parent / raw["event"]["schema"])
    raw["drift"] = drift
    return raw


@pytest.mark.parametrize(
    ("drift", "where", "says"),
    [
        ({"window": {"size": "45m", "step": "30m"}}, "drift.window", "whole number of steps"),
        ({"tests": {"numeric": "chi2"}}, "drift.tests.numeric", "psi"),
        ({"thresholds": {"chi2": 2}}, "drift.thresholds.chi2", "within (0, 1)"),
        ({"exclude": ["nope"]}, "drift.exclude.0", "not a feature"),
        ({"window": {"size": "1h"}, "min_records": 3}, "drift.min_records", "10"),
    ],
)
def test_a_bad_drift_section_is_refused_naming_the_field(
    tmp_path: Path, drift: dict[str, object], where: str, says: str
) -> None:
    spec = tmp_path / "p.yaml"
    spec.write_text(yaml.safe_dump(_spec(**drift)))
    with pytest.raises(SpecError) as error:
        load_pipeline(spec)
    assert where in str(error.value) and says in str(error.value)


def test_a_reference_as_small_as_a_window_widens_the_null_and_raises_the_threshold() -> None:
    exact = null_model(B, "psi", 1000)
    small = null_model(B, "psi", 1000, reference_n=1000)
    # two samples of 1,000 differ about twice as much as one sample from exact shares
    assert 1.6 < small.quantile(0.5) / exact.quantile(0.5) < 2.6
    assert small.quantile(1e-4) > exact.quantile(1e-4)
    # and so does the statistic between two such samples, which the widened null calls calm
    rng = np.random.default_rng(5)
    values = [
        float(STATISTICS["psi"](B.count(rng.normal(100, 15, 1000).tolist()), ref / ref.sum()))
        for ref in (
            np.asarray(B.count(rng.normal(100, 15, 1000).tolist()), float) for _ in range(200)
        )
    ]
    assert np.mean([v > exact.quantile(0.05) for v in values]) > 0.3  # the exact null cries wolf
    assert np.mean([v > small.quantile(0.05) for v in values]) < 0.12


def test_the_documented_defaults_are_the_defaults() -> None:
    """`drift: {}` monitors with the defaults the module's documentation lists per test
    (what `streamops spec check` and the monitoring README point to)."""
    documented = {
        test: float(value)
        for test, value in re.findall(
            r"``(\w+)``[^`]*?(?:above|below)\s+(\d+\.\d+)", drift_spec.__doc__ or ""
        )
    }
    assert set(documented) == {"psi", "ks", "wasserstein", "jensenshannon", "chi2"}
    spec = drift_spec.DriftSpec()
    assert {test: spec.threshold(test) for test in documented} == documented
    assert (spec.tests.numeric, spec.tests.categorical) == ("psi", "jensenshannon")
    assert {"chi2"} == drift_spec.P_VALUE_TESTS  # documented as "below"
