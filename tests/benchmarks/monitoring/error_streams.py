"""Error streams with known drift points, and the change detectors run on them.

A stream is one champion's life of labelled predictions (`LIFE`, the fraud spec's
``retraining.every_labels``): 0/1 errors drawn at a known rate that moves at a known
label (`Scenario`). A frozen model scoring independent events makes exactly such
independent errors, so these stand for any generator's with the same rates. Detectors are
the monitoring owner's (`streamops_monitoring.concept.DETECTORS`, River's), built from a
name and params as the spec's ``drift.concept`` builds them, and fed one error at a time
from the first label; as in the owner, a detection counts from the ``min_labels``-th
label on (`WARM_UP`).

`calibrate` moves one sensitivity parameter per detector (`KNOBS`) until its false alarms
on drift-free streams are at most a target per 10,000 labels, as close to it as the
search gets: detectors compared at equal false-alarm rates.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from streamops.pipeline.drift_spec import DriftSpec
from streamops_monitoring.concept import DETECTORS

LIFE = 20_000
WARM_UP = DriftSpec().concept.min_labels
BASE_RATE = 0.05
PER = 10_000  # false alarms are counted per this many labels

Detector = Any  # a river.base.DriftDetector
Make = Callable[[], Detector]


@dataclass(frozen=True)
class Knob:
    """The parameter that trades false alarms for delay, and where to search it."""

    param: str
    low: float
    high: float
    #: True if a larger value detects sooner (and alarms more often)
    sooner_when_larger: bool


KNOBS: dict[str, Knob] = {
    "adwin": Knob("delta", 1e-3, 0.999, True),
    "ddm": Knob("drift_threshold", 2.0, 5.0, False),
    "hddm_a": Knob("drift_confidence", 1e-4, 0.5, True),
    "hddm_w": Knob("drift_confidence", 1e-4, 0.5, True),
    "page_hinkley": Knob("threshold", 5.0, 100.0, False),
}


@dataclass(frozen=True)
class Scenario:
    """Errors at ``before`` until label ``at``, then ``after`` (reached over ``ramp`` labels)."""

    name: str
    at: int
    before: float
    after: float
    ramp: int = 0

    def stream(self, seed: int, length: int = LIFE) -> list[int]:
        """One stream of this scenario, ``length`` errors."""
        labels = np.arange(length)
        moved = np.clip((labels - self.at + 1) / max(self.ramp, 1), 0.0, 1.0)
        rate = self.before + (self.after - self.before) * moved
        draws = np.random.default_rng(seed).random(length)
        return (draws < rate).astype(np.int64).tolist()  # type: ignore[no-any-return]


def stable(rate: float) -> Scenario:
    """Drift-free errors at ``rate``."""
    return Scenario(f"stable {rate:g}", LIFE, rate, rate)


SCENARIOS = [
    Scenario("0.05 -> 0.15 at 5,000", 5_000, BASE_RATE, 0.15),
    Scenario("0.05 -> 0.10 at 5,000", 5_000, BASE_RATE, 0.10),
    Scenario("0.05 -> 0.075 at 5,000", 5_000, BASE_RATE, 0.075),
    Scenario("0.05 -> 0.15 at 15,000", 15_000, BASE_RATE, 0.15),
    Scenario("0.05 -> 0.15 over 2,000 from 5,000", 5_000, BASE_RATE, 0.15, ramp=2_000),
]
HEADLINE = SCENARIOS[0]


def maker(name: str, params: dict[str, float]) -> Make:
    """What the owner builds for ``drift.concept: {detector: name, params: params}``."""
    return lambda: DETECTORS[name](**params)


def false_alarms(make: Make, streams: Iterable[list[int]], limit: float = math.inf) -> int:
    """Detections from `WARM_UP` on, over drift-free ``streams``; stops once beyond ``limit``."""
    found = 0
    for errors in streams:
        detector = make()
        for i, e in enumerate(errors):
            detector.update(e)
            if detector.drift_detected and i >= WARM_UP:
                found += 1
                if found > limit:
                    return found
    return found


def first_detection(make: Make, errors: list[int], at: int) -> tuple[int, int | None]:
    """Detections in [WARM_UP, at) (false alarms), and the first label >= ``at`` detected."""
    detector, early = make(), 0
    for i, e in enumerate(errors):
        detector.update(e)
        if detector.drift_detected and i >= WARM_UP:
            if i >= at:
                return early, i
            early += 1
    return early, None


@dataclass(frozen=True)
class Calibrated:
    """A detector's parameter after `calibrate`, and its false alarms on the calibration set."""

    detector: str
    params: dict[str, float]
    alarms: int
    labels: int

    @property
    def per_10k(self) -> float:
        """False alarms per 10,000 labels."""
        return self.alarms * PER / self.labels


def calibrate(detector: str, streams: list[list[int]], target: float, steps: int = 6) -> Calibrated:
    """The most sensitive ``KNOBS[detector]`` (a bisection in log space, ``steps`` halvings)
    whose false alarms on ``streams`` are at most ``target`` per 10,000 labels."""
    knob = KNOBS[detector]
    labels = sum(len(s) - WARM_UP for s in streams)
    allowed = math.floor(target * labels / PER)
    low, high = math.log(knob.low), math.log(knob.high)
    best: Calibrated | None = None
    for _ in range(steps):
        value = math.exp((low + high) / 2)
        params = {knob.param: value}
        found = false_alarms(maker(detector, params), streams, allowed)
        quiet = found <= allowed
        if quiet:
            best = Calibrated(detector, params, found, labels)
        if quiet == knob.sooner_when_larger:
            low = (low + high) / 2
        else:
            high = (low + high) / 2
    if best is None:  # even the least sensitive end alarms too often: report that end
        value = knob.low if knob.sooner_when_larger else knob.high
        found = false_alarms(maker(detector, {knob.param: value}), streams)
        best = Calibrated(detector, {knob.param: value}, found, labels)
    return best


@dataclass
class Delays:
    """One detector on one scenario's streams."""

    scenario: str
    delays: list[int] = field(default_factory=list)
    missed: int = 0
    early_alarms: int = 0  # false alarms before the drift point, from WARM_UP on
    early_labels: int = 0

    @property
    def median(self) -> float:
        """Median delay of the streams detected."""
        return float(np.median(self.delays)) if self.delays else math.nan

    @property
    def mean(self) -> float:
        """Mean delay of the streams detected."""
        return float(np.mean(self.delays)) if self.delays else math.nan


def delays(make: Make, scenario: Scenario, seeds: Iterable[int]) -> Delays:
    """Labels from the drift point to the first detection at or after it, per stream."""
    out = Delays(scenario.name)
    for seed in seeds:
        early, found = first_detection(make, scenario.stream(seed), scenario.at)
        out.early_alarms += early
        out.early_labels += scenario.at - WARM_UP
        if found is None:
            out.missed += 1
        else:
            out.delays.append(found - scenario.at)
    return out
