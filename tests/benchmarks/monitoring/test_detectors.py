"""Concept drift: detection delay of the owner's change detectors at equal false-alarm rates.

The monitoring owner feeds the errors (0/1) of labelled predictions, in the order their
labels became known, to the River detector the spec names (``drift.concept``). Which
detector, with which parameter, should be the default? `error_streams`: streams of
20,000 labels (a champion's life) at a 5% error rate that moves at a known label (to 15%,
10%, 7.5%; early or late in the life; at once or over 2,000 labels). Each of ADWIN, DDM,
HDDM_A, HDDM_W and Page-Hinkley has one parameter calibrated on drift-free streams until
it raises at most ``BENCH_CONCEPT_FALSE_ALARMS`` false alarms per 10,000 labels (0.5);
then, on ``BENCH_CONCEPT_SEEDS`` streams per scenario (30), the labels from the drift
point to the first detection (mean, median) and the streams where it never came. Also
shown: the false alarms of the calibrated parameters on held-out streams and at error
rates of 1% and 20% (one spec parameter has to serve any model), the cost per label, the
spec default as shipped, and ADWIN's delta from the default up.

Then the owner itself (``LabelledJudge.feed``, detector pickled in its state between
intervals of 100 labels) on the headline streams, for the spec default and the best
calibrated detector: CONCEPT_DRIFT must open no earlier than the end of the interval in
which the bare detector fired, and never on a stream where it did not; what the owner's
confirmation by the latest window's error rate adds is reported. KSWIN is timed only:
about a millisecond and a half per label.
`make bench` runs it; the detectors run in two processes.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import pytest

from streamops.pipeline.drift_spec import ConceptDrift, DriftSpec
from streamops_monitoring.concept import DETECTORS as OFFERED
from tests.benchmarks.monitoring.error_streams import (
    BASE_RATE,
    HEADLINE,
    KNOBS,
    PER,
    SCENARIOS,
    WARM_UP,
    Calibrated,
    Delays,
    Make,
    calibrate,
    delays,
    false_alarms,
    first_detection,
    maker,
    stable,
)
from tests.benchmarks.monitoring.owner_feed import owner_delay, owner_with

TARGET = float(os.environ.get("BENCH_CONCEPT_FALSE_ALARMS", "0.5"))  # per 10,000 labels
SEEDS = int(os.environ.get("BENCH_CONCEPT_SEEDS", "30"))
CALIBRATION_STREAMS = int(os.environ.get("BENCH_CONCEPT_CALIBRATION_STREAMS", "20"))
OTHER_RATES = (0.01, 0.20)
OTHER_RATE_STREAMS = 8
INTERVAL = 100  # labels the owner is fed at a time
ADWIN_DELTAS = (0.002, 0.01, 0.05, 0.2)
#: slowest first, so that the two processes finish together
DETECTORS = ("hddm_w", "hddm_a", "page_hinkley", "ddm", "adwin")


def calibration_streams() -> list[list[int]]:
    """The drift-free streams every detector is calibrated on."""
    return [stable(BASE_RATE).stream(10_000 + i) for i in range(CALIBRATION_STREAMS)]


def scenario_seeds(k: int) -> range:
    """The seeds of the ``k``-th scenario's streams (none shared with the calibration)."""
    return range(20_000 + 1_000 * k, 20_000 + 1_000 * k + SEEDS)


@dataclass
class Study:
    """One detector with one parameter set: its false alarms and its delays."""

    detector: str
    params: dict[str, float]
    calibration: Calibrated
    results: list[Delays] = field(default_factory=list)
    other_rates: dict[float, float] = field(default_factory=dict)
    us_per_label: float = math.nan

    @property
    def held_out(self) -> float:
        """False alarms per 10,000 labels before the drift points of every scenario."""
        labels = sum(r.early_labels for r in self.results)
        return sum(r.early_alarms for r in self.results) * PER / labels

    @property
    def label(self) -> str:
        """The detector and its parameters, as the tables show them."""
        values = ", ".join(f"{k}={v:.3g}" for k, v in self.params.items())
        return f"{self.detector} {values or 'defaults'}"


def evaluate(detector: str, calibration: Calibrated) -> Study:
    """Delays on every scenario, and false alarms at the other error rates."""
    make = maker(detector, calibration.params)
    found = Study(detector, calibration.params, calibration)
    found.results = [delays(make, s, scenario_seeds(k)) for k, s in enumerate(SCENARIOS)]
    for rate in OTHER_RATES:
        streams = [stable(rate).stream(30_000 + i) for i in range(OTHER_RATE_STREAMS)]
        labels = sum(len(s) - WARM_UP for s in streams)
        found.other_rates[rate] = false_alarms(make, streams) * PER / labels
    found.us_per_label = cost_per_label(make)
    return found


def study(detector: str) -> Study:
    """``detector`` calibrated to `TARGET`, then evaluated (one process's work)."""
    return evaluate(detector, calibrate(detector, calibration_streams(), TARGET))


def as_configured(detector: str, params: dict[str, float]) -> Study:
    """``detector`` with ``params`` as given, its false alarms on the calibration set."""
    streams = calibration_streams()
    alarms = false_alarms(maker(detector, params), streams)
    labels = sum(len(s) - WARM_UP for s in streams)
    return evaluate(detector, Calibrated(detector, params, alarms, labels))


def cost_per_label(make: Make, labels: int = 20_000) -> float:
    """Microseconds per ``update`` on a drift-free stream."""
    errors, detector = stable(BASE_RATE).stream(1, labels), make()
    started = time.perf_counter()
    for e in errors:
        detector.update(e)
    return (time.perf_counter() - started) / labels * 1e6


@pytest.mark.timeout(1800)
def test_detectors_at_equal_false_alarms() -> None:
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2) as pool:
        calibrated = list(pool.map(study, DETECTORS))
    default = DriftSpec().concept
    shipped = as_configured(default.detector, dict(default.params))
    deltas = [as_configured("adwin", {"delta": d}) for d in ADWIN_DELTAS]
    kswin = cost_per_label(maker("kswin", {}), 2_000)
    best = min(calibrated, key=lambda s: (s.results[0].median, s.results[0].mean))

    owners = {}
    for name, concept in (
        ("spec default", default),
        ("best calibrated", ConceptDrift(detector=best.detector, params=best.params)),
    ):
        owner = owner_with(concept)
        make = maker(concept.detector, dict(concept.params))
        fed: list[int] = []
        for seed in scenario_seeds(0):
            errors = HEADLINE.stream(seed)
            _, bare = first_detection(make, errors, HEADLINE.at)
            mine = owner_delay(owner, errors, HEADLINE.at, INTERVAL)
            expected = None if bare is None else (bare // INTERVAL + 1) * INTERVAL - HEADLINE.at
            assert mine is None or (expected is not None and mine >= expected), (
                f"{name}, seed {seed}: the owner opens only once its detector fired"
            )
            if mine is not None:
                fed.append(mine)
        owners[name] = (concept, fed)

    report(calibrated, shipped, deltas, kswin, best, owners, time.perf_counter() - started)
    assert set(OFFERED) == {*KNOBS, "kswin"}, "every detector the spec offers is measured"
    for s in calibrated:
        assert s.calibration.per_10k <= TARGET, f"{s.detector} calibrated to the target"


def _cell(r: Delays) -> str:
    missed = f" [{r.missed} missed]" if r.missed else ""
    return f"{r.median:,.0f} / {r.mean:,.0f}{missed}" if r.delays else f"- [{r.missed} missed]"


def report(
    calibrated: list[Study],
    shipped: Study,
    deltas: list[Study],
    kswin: float,
    best: Study,
    owners: dict[str, tuple[ConceptDrift, list[int]]],
    seconds: float,
) -> None:
    """Print the tables: false alarms, delays, ADWIN's delta, the owner, the verdict."""
    print(
        f"\n== concept drift: detectors calibrated to <= {TARGET:g} false alarms per 10,000 "
        f"labels on {CALIBRATION_STREAMS} drift-free streams of 20,000 labels at "
        f"{BASE_RATE:g}; {SEEDS} streams per scenario; detections count from label "
        f"{WARM_UP}; {seconds:.0f} s; load {os.getloadavg()[0]:.2f} =="
    )
    rates = " | ".join(f"FA/10k at {r:g}" for r in OTHER_RATES)
    print(f"| detector, parameter | FA/10k calibration | FA/10k held out | {rates} | µs/label |")
    print("|---|---:|---:|" + "---:|" * len(OTHER_RATES) + "---:|")
    for s in [*calibrated, shipped]:
        others = " | ".join(f"{s.other_rates[r]:.2f}" for r in OTHER_RATES)
        name = s.label + (" (spec default)" if s is shipped else "")
        print(
            f"| {name} | {s.calibration.per_10k:.2f} | {s.held_out:.2f} | {others} | "
            f"{s.us_per_label:.1f} |"
        )
    print(f"| kswin (not calibrated) | | | | | {kswin:,.0f} |")
    print("\ndelay in labels after the drift point, median / mean [streams never detected]:")
    print("| detector, parameter | " + " | ".join(s.name for s in SCENARIOS) + " |")
    print("|---|" + "---:|" * len(SCENARIOS))
    for s in [*calibrated, shipped]:
        bold = "**" if s is best else ""
        name = bold + s.label + bold + (" (spec default)" if s is shipped else "")
        print(f"| {name} | " + " | ".join(_cell(r) for r in s.results) + " |")
    print("\nADWIN's delta (FA/10k at 0.05: calibration set + held out):")
    print(f"| delta | FA/10k | {rates} | " + " | ".join(s.name for s in SCENARIOS) + " |")
    print("|---:|---:|" + "---:|" * (len(OTHER_RATES) + len(SCENARIOS)))
    for s in deltas:
        alarms = s.calibration.alarms + sum(r.early_alarms for r in s.results)
        labels = s.calibration.labels + sum(r.early_labels for r in s.results)
        print(
            f"| {s.params['delta']:g} | {alarms * PER / labels:.2f} | "
            + "".join(f"{s.other_rates[r]:.2f} | " for r in OTHER_RATES)
            + " | ".join(_cell(r) for r in s.results)
            + " |"
        )
    print(f"\nthe owner (intervals of {INTERVAL} labels) on {HEADLINE.name}:")
    for name, (concept, fed) in owners.items():
        print(
            f"  {name} ({Study(concept.detector, dict(concept.params), shipped.calibration).label})"
            f": median delay "
            f"{statistics.median(fed) if fed else math.nan:,.0f} labels, "
            f"{SEEDS - len(fed)} missed; opens once the bare detector fired (interval-rounded) "
            f"and the latest window's error rate confirms it"
        )
    spec_detector = next(s for s in calibrated if s.detector == shipped.detector)
    met = spec_detector.results[0].median <= best.results[0].median
    print(
        f"best at equal false alarms ({HEADLINE.name}, median): {best.label}; the spec's "
        f"detector ({shipped.detector}) calibrated: {spec_detector.results[0].median:,.0f} vs "
        f"{best.results[0].median:,.0f}: {'met' if met else 'MISSED'}"
    )
    knob = KNOBS[best.detector].param
    print(
        f"at <= {TARGET:g} false alarms per 10,000 labels: concept: {{detector: "
        f"{best.detector}, params: {{{knob}: {best.params[knob]:.2g}}}}}"
    )
