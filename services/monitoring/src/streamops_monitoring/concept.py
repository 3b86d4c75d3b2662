"""CONCEPT_DRIFT's error-rate side: the champion's errors through the spec's `river.drift`
detector, a change to more errors held as a suspicion, and the gate that opens it once
the latest performance window errs beyond ``max_drop`` of the rate before the change and
the sampling noise of both. `labelled_judge.LabelledJudge.concept` puts these together
with the scores' promise and the open episode.
"""

from __future__ import annotations

import logging
import math
import pickle
from typing import Any

from river import drift as river_drift

from streamops.pipeline.drift_spec import ConceptDrift
from streamops.state import PartitionState
from streamops_monitoring.reference import Reference

#: the spec's ``drift.concept.detector`` names and River's classes
DETECTORS = {
    "adwin": river_drift.ADWIN,
    "kswin": river_drift.KSWIN,
    "page_hinkley": river_drift.PageHinkley,
    "ddm": river_drift.binary.DDM,
    "hddm_a": river_drift.binary.HDDMA,
    "hddm_w": river_drift.binary.HDDMW,
}

#: How long a change to more errors stays suspect, in performance windows of labels after
#: it: the first window after a drift that creeps in still holds some of the old errors
SUSPECTED_WINDOWS = 2

log = logging.getLogger(__name__)

#: {"before": error rate before the change, "n": the mean of so many labels, "seen":
#: labels since}
Suspicion = dict[str, Any]


def watch(
    held: dict[str, Any],
    rows: list[list[Any]],
    task: str,
    ref: Reference,
    concept: ConceptDrift,
    window: int,
) -> Suspicion | None:
    """Feed the champion's labelled ``rows`` to its detector, kept pickled in ``held``
    with the labels seen and how many erred; return the suspicion they leave. A change to
    more errors is suspect, judged from the detector's mean before it (ADWIN's window can
    be a few hundred labels just after a change it saw: its noise counts in `gate`); a
    change to fewer errors ends the suspicion (a burst of errors, over); another change to
    more keeps the surer of the two rates before (the one of more labels: the detector's
    mean has taken in the first rise by then, and a drift that creeps would otherwise
    raise its own baseline step by step)."""
    detector = (
        pickle.loads(held["d"])
        if held["d"] is not None
        else DETECTORS[concept.detector](**concept.params)
    )
    suspect: Suspicion | None = held.get("suspect")
    if suspect is not None and "n" not in suspect:  # kept by an earlier release
        suspect["n"] = window
    for o in rows:
        error = error_of(task, o[3], o[4], o[5], ref)
        held["seen"] += 1
        held["errors"] += error
        before = getattr(detector, "estimation", None)
        width = getattr(detector, "width", None)  # the labels ``before`` is the mean of
        detector.update(error)
        if suspect is not None:
            suspect["seen"] += 1
        if not detector.drift_detected or held["seen"] < concept.min_labels:
            continue
        # ADWIN says which way, and its mean before the change; DDM and HDDM only
        # look for more errors
        after = getattr(detector, "estimation", None)
        if before is None or after is None or width is None:
            before, width = held["errors"] / held["seen"], held["seen"]
        elif after <= before:
            suspect = None  # fewer errors: what rose has fallen again
            continue
        width = int(width)
        if suspect is not None and suspect.get("n", 0) >= width:
            before, width = suspect["before"], suspect["n"]  # the surer of the two
        suspect = {"before": before, "n": width, "seen": 0}
        log.info(
            "%s: %s saw a change to more errors after %s labels; judged from %.4g (the "
            "mean of %s labels)",
            f"{ref.model_name}:{ref.version}",
            concept.detector,
            held["seen"],
            before,
            width,
        )
    held["d"] = pickle.dumps(detector)
    return suspect


def gate(
    suspect: Suspicion | None,
    rate: float,
    labels: int,
    drop: float,
    window: int,
    name: str,
    detector: str,
) -> tuple[float | None, int, Suspicion | None]:
    """Whether the suspicion opens on the latest ``labels`` labels' error ``rate``: the
    rate before the change and how many labels that is the mean of (None, ``window``: it
    does not), and the suspicion left. One that has not come to more errors within
    `SUSPECTED_WINDOWS` windows of labels after it is dropped."""
    if suspect is None:
        return None, window, None
    limit = tolerated(suspect["before"], drop, labels, suspect["n"])
    if rate > limit:
        return suspect["before"], suspect["n"], None
    if suspect["seen"] > SUSPECTED_WINDOWS * window:
        log.info(
            "%s: the change %s saw did not come to more errors: the latest %s labels "
            "err %.4g, at most %.4g tolerated",
            name,
            detector,
            labels,
            rate,
            limit,
        )
        return None, window, None
    return None, window, suspect


def episode_of(
    state: PartitionState,
    ref: Reference,
    fired: float | None,
    fired_n: int,
    opened: bool,
    labelled: int,
) -> dict[str, Any] | None:
    """The open episode of ``ref``'s model (kept in ``state``): the error rate before the
    change (``baseline``, the mean of ``n`` labels), and how many labels the champion has
    had since it opened or since it took over (``since``); None once resolved."""
    key = f"owner:concept_episode:{ref.model_name}"
    episode: dict[str, Any] | None = state.get(key)
    if fired is not None and not opened:
        episode = {"baseline": fired, "n": fired_n, "version": ref.version, "since": 0}
    elif opened and episode is not None:
        if episode["version"] != ref.version:  # a new champion: its own labels count
            episode = {**episode, "version": ref.version, "since": 0}
        episode["since"] += labelled
    if episode is not None and (opened or fired is not None):
        state.set(key, episode)
        return episode
    if episode is not None:
        state.delete(key)  # resolved last time
    return None


def error_of(task: str, score: float | None, predicted: str, label: str, ref: Reference) -> int:
    """1 if the labelled prediction was wrong (regression: off by more than twice the
    holdout's mean absolute error)."""
    if task == "regression":
        limit = 2 * ref.metrics.get("mae", 0.0)
        return int(score is None or abs(float(label) - float(score)) > limit)
    return int(predicted != label)


def tolerated(rate: float, drop: float, window: int, measured_on: int) -> float:
    """The highest error rate over ``window`` labels still taken for ``rate``, itself the
    mean of ``measured_on`` labels: ``max_drop`` more, and two standard errors of the
    difference of the two means for their sampling noise."""
    variance = rate * (1 - rate) * (1 / max(window, 1) + 1 / max(measured_on, 1))
    return rate * (1 + drop) + 2 * math.sqrt(variance)
