"""The spec's ``drift:`` section, read by the monitoring service.

Monitoring compares event-time windows of the live features and scores with the
champion's reference profile (its training rows), and joins predictions with their
late labels. Everything here has a default, so ``drift: {}`` monitors with the documented
defaults; `check_drift` checks what needs the rest of the spec (feature names).

Defaults per test (the statistic, and when it means drift):

- numbers: ``psi`` (population stability index on the reference's quantile bins) above
  0.1; ``ks`` (largest gap between the two distribution functions) above 0.1;
  ``wasserstein`` (earth mover's distance over the reference's std) above 0.1;
- categories: ``jensenshannon`` (distance, base 2) above 0.1; ``chi2`` p-value below 0.05.

A threshold is never used below what the reference itself would cross once in
``false_alarm_windows`` windows of the same size when nothing drifts (`streamops.drift`
calibrates this by sampling the reference), shared among the features tested: that is the
correction for testing many features at once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from streamops.pipeline.durations import Duration

if TYPE_CHECKING:
    from streamops.pipeline.spec import PipelineSpec

NumericTest = Literal["psi", "ks", "wasserstein"]
CategoricalTest = Literal["jensenshannon", "chi2"]
Test = NumericTest | CategoricalTest
Detector = Literal["adwin", "ddm", "hddm_a", "hddm_w", "kswin", "page_hinkley"]
KeyPath = tuple[str | int, ...]

#: When a test's statistic means drift: above the threshold, or (p-values) below it.
DEFAULT_THRESHOLDS: dict[str, float] = {
    "psi": 0.1,
    "ks": 0.1,
    "wasserstein": 0.1,
    "jensenshannon": 0.1,
    "chi2": 0.05,
}
#: Tests whose statistic is a p-value: small means drift.
P_VALUE_TESTS = frozenset({"chi2"})
#: Per-event values that follow the clock: a one-hour window holds one hour of day by
#: construction, so they are not compared with a reference of whole days.
CLOCK_FEATURES = ("hour_of_day", "day_of_week")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DriftWindow(_Strict):
    """Windows of event time: ``size`` long, a new one every ``step`` (size a multiple)."""

    size: Duration = Field(timedelta(hours=1), description="Event time one window covers.")
    step: Duration = Field(timedelta(minutes=30), description="Event time between windows.")

    @model_validator(mode="after")
    def _fits(self) -> DriftWindow:
        if self.step <= timedelta(0):
            raise ValueError("step must be longer than zero")
        if self.size < self.step or self.size % self.step:
            raise ValueError(f"size must be a whole number of steps (step {self.step})")
        return self


class Tests(_Strict):
    """Which test compares each kind of feature."""

    numeric: NumericTest = "psi"
    categorical: CategoricalTest = "jensenshannon"


class PredictionDrift(_Strict):
    """The champion's scores (binary: positive probability; regression: value)."""

    test: NumericTest = "psi"
    threshold: float | None = Field(None, gt=0, description="Default: the test's default.")


class ConceptDrift(_Strict):
    """The change detector run on the stream of errors of labelled predictions."""

    detector: Detector = Field("adwin", description="A river.drift detector.")
    params: dict[str, float] = Field(
        default_factory=dict, description="The detector's own parameters, e.g. delta."
    )
    min_labels: int = Field(500, ge=1, description="Errors seen before a change can count.")


class Performance(_Strict):
    """Rolling metrics of the labelled predictions of each model version."""

    window: int = Field(2000, ge=10, description="The latest labelled predictions measured.")
    min_labels: int = Field(500, ge=10, description="No metric from fewer labels.")
    max_drop: float = Field(
        0.1,
        gt=0,
        lt=1,
        description="MODEL_PERFORMANCE opens once the primary metric falls this share below "
        "the version's holdout figure (and resolves back within half of it); for a binary "
        "model CONCEPT_DRIFT too, once it falls this share below what the scores promise.",
    )


class DriftSpec(_Strict):
    """What monitoring compares, how often, and when it raises an alert."""

    reference: Literal["training_window"] = Field(
        "training_window", description="The champion's training rows (its reference profile)."
    )
    window: DriftWindow = Field(default_factory=DriftWindow)
    grace: Duration | None = Field(
        None,
        description="How far behind the newest event time a record is still placed in its "
        "window; a window is judged once it has passed. Default: features.grace, else 5m.",
    )
    min_records: int = Field(500, ge=10, description="A window with fewer is not judged.")
    tests: Tests = Field(default_factory=Tests)
    thresholds: dict[Test, float] = Field(
        default_factory=dict, description="Per test; the others keep their defaults."
    )
    resolve_ratio: float = Field(
        0.5,
        gt=0,
        le=1,
        description="An open drift alert resolves once every feature is within this share "
        "of its threshold (p-value tests: above threshold / ratio).",
    )
    false_alarm_windows: int = Field(
        1000,
        ge=10,
        description="Windows of stable traffic expected between two false DATA_DRIFT alerts; "
        "thresholds are raised where the reference says they would be crossed more often.",
    )
    exclude: list[str] = Field(
        default_factory=list,
        description=f"Features not tested (besides {', '.join(CLOCK_FEATURES)}, always left out).",
    )
    prediction: PredictionDrift = Field(default_factory=PredictionDrift)
    concept: ConceptDrift = Field(default_factory=ConceptDrift)
    performance: Performance = Field(default_factory=Performance)

    def threshold(self, test: str) -> float:
        """The spec's threshold for ``test``, else its default."""
        found = self.thresholds.get(test)  # type: ignore[call-overload]
        return float(found) if found is not None else DEFAULT_THRESHOLDS[test]

    def grace_for(self, spec: PipelineSpec) -> timedelta:
        """``grace``, else the features' grace, else five minutes."""
        if self.grace is not None:
            return self.grace
        return spec.features.grace if spec.features is not None else timedelta(minutes=5)


def check_drift(spec: PipelineSpec, feature_names: list[str] | None) -> list[tuple[KeyPath, str]]:
    """What in the ``drift:`` section does not fit the rest of the spec: (path, message)."""
    drift = spec.drift
    if drift is None:
        return []
    out: list[tuple[KeyPath, str]] = []
    if spec.model is None:
        out.append((("drift",), "drift compares with a model's reference: add a model section"))
    if feature_names is not None:
        known = set(feature_names)
        for i, name in enumerate(drift.exclude):
            if name not in known:
                out.append((("drift", "exclude", i), f"{name} is not a feature of this pipeline"))
    for test, value in drift.thresholds.items():
        if test in P_VALUE_TESTS and not 0 < value < 1:
            out.append((("drift", "thresholds", test), "a p-value threshold is within (0, 1)"))
        elif value <= 0:
            out.append((("drift", "thresholds", test), "a threshold must be above zero"))
    return out
