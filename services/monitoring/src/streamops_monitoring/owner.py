"""The owner: adds up every partition's partials and judges whole windows of event time.

Drift is about the whole stream, so no replica can judge it from its own partitions.
Each replica publishes one MonitoringPartial per partition and interval (`partition.py`)
to the stage's one-partition partials topic; the replica holding that partition (state
partition 0) is the owner, and everything it decides from is in its state: the partials
of intervals not judged yet, where the windows and the labelled stream go next, each
version's detector and latest labelled predictions, and the open alerts. A new owner
takes over exactly where the last one stopped, and the verdicts do not depend on how
many replicas there are.

A window (``drift.window.size``, a new one every ``step``) is judged once every
partition has published all its intervals, or once the newest event time any partition
reported has passed its end by two graces and a step (a partition that is idle or down
must not hold verdicts back for ever). The labelled predictions are fed to the concept
detector and the rolling metrics interval by interval, in the order their labels became
known, on the same rule.
"""

from __future__ import annotations

import datetime
import math
import pickle
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from river import drift as river_drift

from streamops.alerts import Issuer, Measurement, Window, is_open, judge
from streamops.contracts.types import Alert, AlertKind, AlertSeverity, MonitoringPartial
from streamops.drift import STATISTICS, Binning, NullModel, corrected, drifted, null_model
from streamops.pipeline import Pipeline
from streamops.pipeline.drift_spec import CLOCK_FEATURES, P_VALUE_TESTS, DriftSpec
from streamops.state import PartitionState
from streamops_monitoring.estimate import estimate, histogram
from streamops_monitoring.partition import millis
from streamops_monitoring.performance import higher_is_better, likely_bound, rolling_metrics
from streamops_monitoring.reference import Reference
from streamops_monitoring.refresh import refreshed

OWNER_PARTITION = 0
_CLOCK, _ORIGIN = "owner:clock", "owner:origin"
_NEXT, _FED = "owner:next", "owner:fed"  # next window start; next interval to feed
_INTERVALS = "owner:intervals"  # sorted starts of the intervals held
#: partition -> [its newest watermark, the owner's wall clock when that partial came]
_HEARD = "owner:heard"
#: how long (wall clock) a partition may stay silent before the owner stops waiting for it
IDLE_MS = 30_000
KINDS: tuple[AlertKind, ...] = (
    "DATA_DRIFT",
    "PREDICTION_DRIFT",
    "CONCEPT_DRIFT",
    "MODEL_PERFORMANCE",
)
_DETECTORS = {
    "adwin": river_drift.ADWIN,
    "kswin": river_drift.KSWIN,
    "page_hinkley": river_drift.PageHinkley,
    "ddm": river_drift.binary.DDM,
    "hddm_a": river_drift.binary.HDDMA,
    "hddm_w": river_drift.binary.HDDMW,
}


@dataclass
class Judged:
    """What one decision round found: alerts, and figures for the gauges."""

    alerts: list[Alert] = field(default_factory=list)
    feature_scores: dict[str, tuple[str, float]] = field(default_factory=dict)
    drifted_features: int | None = None
    prediction_score: tuple[str, float] | None = None
    performance: dict[int, dict[str, float]] = field(default_factory=dict)
    #: the champion's figures estimated from the scores of the latest window, no labels
    estimated: dict[int, dict[str, float]] = field(default_factory=dict)
    #: estimated minus realised, both on the same latest labelled predictions
    gap: dict[int, dict[str, float]] = field(default_factory=dict)
    windows: dict[str, int] = field(default_factory=dict)


class Owner:
    """Combines partials in the owner's state and judges windows when they are in."""

    def __init__(
        self,
        pipeline: Pipeline,
        feature_windows: dict[str, int],
        task: str,
        idle_ms: int = IDLE_MS,
    ) -> None:
        spec = pipeline.spec
        self.pipeline = spec.name
        self.drift: DriftSpec = spec.drift or DriftSpec()
        self.step_ms = int(self.drift.window.step.total_seconds() * 1000)
        self.size_ms = int(self.drift.window.size.total_seconds() * 1000)
        self.grace_ms = int(self.drift.grace_for(spec).total_seconds() * 1000)
        self.wait_ms = 2 * self.grace_ms + self.step_ms
        self.idle_ms = idle_ms
        self.task = task
        self.primary = spec.model.metric_for(task) if spec.model is not None else None  # type: ignore[arg-type]
        self.skipped = set(CLOCK_FEATURES) | set(self.drift.exclude)
        #: feature -> its window (ms), for the ones that fill up after the stream starts
        self.feature_windows = feature_windows
        self._nulls: dict[tuple[int, int | None, str, str, int], NullModel] = {}

    # -- partials in -------------------------------------------------------------------

    def combine(self, state: PartitionState, partial: MonitoringPartial, now_ms: int) -> bool:
        """Keep a partition's partial until its windows are judged; False if too late.

        ``now_ms`` (wall clock) dates when the owner last heard from the partition."""
        start = millis(partial["start"])
        watermark = millis(partial["watermark"])
        if watermark > state.get(_CLOCK, watermark - 1):
            state.set(_CLOCK, watermark)
        heard = state.get(_HEARD) or {}
        name = str(partial["partition"])
        if name not in heard or watermark >= heard[name][0]:
            heard[name] = [watermark, now_ms]
            state.set(_HEARD, heard)
        if _ORIGIN not in state:
            state.set(_ORIGIN, start)
            state.set(_NEXT, start)
            state.set(_FED, start)
        if start < min(state.get(_NEXT), state.get(_FED)):
            return False
        key = f"owner:i:{start}"
        held = state.get(key) or {"parts": {}, "partitions": 0, "oc": 0}
        part = {
            "m": partial["model_name"],
            "v": partial["model_version"],
            "n": partial["feature_count"],
            "f": {f["name"]: f["counts"] for f in partial["features"]},
            "pn": partial["prediction_count"],
            "s": partial["scores"]["counts"] if partial["scores"] else None,
            "h": partial["score_histogram"],
        }
        if partial["outcomes"]:  # each partial's outcomes (at most a chunk) under a key
            state.set(
                f"owner:o:{start}:{held.get('oc', 0)}",
                [
                    [
                        millis(o["known_at"]),
                        o["model_version"],
                        o["role"],
                        o["score"],
                        o["predicted"],
                        o["label"],
                        millis(o["event_time"]),
                    ]
                    for o in partial["outcomes"]
                ],
            )
            held["oc"] = held.get("oc", 0) + 1
        before = held["parts"].get(name)
        # a second partial of the same partition and interval is a supplement: add it up
        held["parts"][name] = part if before is None else _merged(before, part)
        held["partitions"] = max(held["partitions"], partial["partitions"])
        state.set(key, held)
        starts = state.get(_INTERVALS, [])
        if start not in starts:
            state.set(_INTERVALS, sorted([*starts, start]))
        return True

    # -- decisions ---------------------------------------------------------------------

    def decide(self, state: PartitionState, ref: Reference | None, now_ms: int) -> Judged:
        """Feed the labelled intervals that are in, judge the windows that are in."""
        judged = Judged()
        clock = state.get(_CLOCK)
        if clock is None:
            return judged

        def ready(starts: list[int], end_ms: int) -> bool:
            return self._ready(starts, end_ms, clock=clock, state=state, now_ms=now_ms)

        fed = state.get(_FED)
        while fed + self.step_ms <= clock and ready([fed], fed + self.step_ms):
            held = state.get(f"owner:i:{fed}")
            self._feed(state, held, fed, ref, judged)
            fed += self.step_ms
        if fed != state.get(_FED):
            state.set(_FED, fed)
        start = state.get(_NEXT)
        while start + self.size_ms <= clock:
            intervals = list(self._intervals(start))
            if not ready(intervals, start + self.size_ms):
                break
            if ref is not None:
                held = [state.get(f"owner:i:{s}") for s in intervals]
                self._judge(state, start, held, ref, judged)
            start += self.step_ms
        if start != state.get(_NEXT):
            state.set(_NEXT, start)
        done = min(start, fed)
        starts = state.get(_INTERVALS, [])
        if starts and starts[0] < done:
            for s in (s for s in starts if s < done):
                held = state.get(f"owner:i:{s}")
                for k in range(held.get("oc", 0) if held is not None else 0):
                    state.delete(f"owner:o:{s}:{k}")
                state.delete(f"owner:i:{s}")
            state.set(_INTERVALS, [s for s in starts if s >= done])
        return judged

    def open_alerts(self, state: PartitionState, model_name: str) -> dict[str, int]:
        """How many alerts of each kind are open."""
        return {k: int(is_open(state, f"{k.lower()}:{model_name}")) for k in KINDS}

    # -- the windows -------------------------------------------------------------------

    def _intervals(self, start: int) -> Iterator[int]:
        return iter(range(start, start + self.size_ms, self.step_ms))

    def _ready(
        self, starts: list[int], end_ms: int, *, clock: int, state: PartitionState, now_ms: int
    ) -> bool:
        """Whether every partition's partial of ``starts`` is in, or the missing ones are
        not worth waiting for.

        A partition that is behind the others (its consumer fetched another partition's
        hours first, a replica is rebalancing) is waited for: judging without it would
        leave out its entities and move every per-entity feature. Once the fastest
        partition is `wait_ms` past the window, the owner judges without the partitions it
        never heard from (no traffic) and those silent for `idle_ms` (their input stopped).
        """
        heard: dict[str, list[int]] = {}
        for s in starts:
            held = state.get(f"owner:i:{s}")
            if held is not None and len(held["parts"]) >= held["partitions"]:
                continue
            if clock < end_ms + self.wait_ms:
                return False
            heard = heard or state.get(_HEARD) or {}
            there = set(held["parts"]) if held is not None else set()
            for name, (watermark, at) in heard.items():
                behind = watermark < end_ms + self.grace_ms
                if name not in there and behind and now_ms - at < self.idle_ms:
                    return False  # alive and behind: its partial is coming
        return True

    def _judge(
        self,
        state: PartitionState,
        start: int,
        held: list[dict[str, Any] | None],
        ref: Reference,
        judged: Judged,
    ) -> None:
        every = [p for h in held if h is not None for p in h["parts"].values()]
        parts = [p for p in every if p["v"] == ref.version and p["m"] == ref.model_name]
        # a window with records counted for another version (the champion changed in it)
        # is not judged: what is left would be some partitions' records, or the later part
        if any((p["n"] or p["pn"]) and p not in parts for p in every):
            return
        records = sum(p["n"] for p in parts)
        since = start - state.get(_ORIGIN)
        # the scores move while any feature the model reads is still filling
        filling = max((self.feature_windows.get(f, 0) for f in ref.feature_names), default=0)
        full = filling <= since
        ref = refreshed(
            state,
            ref,
            parts,
            start,
            full={n: self.feature_windows.get(n, 0) <= since for n in ref.features},
            scores_full=full,
            min_records=self.drift.min_records,
        )
        if records >= self.drift.min_records:
            window = Window(start, start + self.size_ms, records, clock="event")
            m = self._data_drift(ref, parts, records, since, judged)
            if m is not None:
                judged.alerts += judge(self._issuer("DATA_DRIFT", ref), state, [m], window)
                judged.windows["data"] = judged.windows.get("data", 0) + 1
        scored = sum(p["pn"] for p in parts)
        scores = [p["h"] for p in parts if p.get("h")]
        if self.task == "binary" and scored >= self.drift.min_records and scores:
            counts = np.sum(np.asarray(scores), axis=0)
            judged.estimated[ref.version] = estimate(counts, ref.threshold or 0.5)
        if ref.prediction is not None and scored >= self.drift.min_records and full:
            window = Window(start, start + self.size_ms, scored, clock="event")
            m = self._prediction_drift(ref, parts, scored, judged)
            judged.alerts += judge(self._issuer("PREDICTION_DRIFT", ref), state, [m], window)
            judged.windows["prediction"] = judged.windows.get("prediction", 0) + 1

    def _data_drift(
        self,
        ref: Reference,
        parts: list[dict[str, Any]],
        records: int,
        since_origin_ms: int,
        judged: Judged,
    ) -> Measurement | None:
        counts: dict[str, np.ndarray] = {}
        for p in parts:
            for name, c in p["f"].items():
                counts[name] = counts[name] + c if name in counts else np.asarray(c)
        tested = [
            name
            for name in ref.features
            if name in counts
            and name not in self.skipped
            # a window that started filling after the stream did is not full yet
            and self.feature_windows.get(name, 0) <= since_origin_ms
        ]
        if not tested:
            return None
        tail = 1.0 / (self.drift.false_alarm_windows * len(tested))
        found: list[tuple[str, str, float, float]] = []
        calm, chance = True, 0.0
        for name in tested:
            b = ref.features[name]
            test = self.drift.tests.numeric if b.numeric else self.drift.tests.categorical
            n = int(counts[name].sum())
            if n == 0:
                continue
            value = float(STATISTICS[test](counts[name], b.expected, b.points, b.scale))
            null = self._null(ref, name, b, test, n)
            threshold = corrected(test, self.drift.threshold(test), null, tail)
            chance += null.exceedance(threshold)
            judged.feature_scores[name] = (test, value)
            found.append((name, test, value, threshold))
            calm = calm and _within(test, value, threshold, self.drift.resolve_ratio)
        beyond = [f for f in found if drifted(f[1], f[2], f[3])]
        beyond.sort(key=lambda f: -_ratio(f[1], f[2], f[3]))
        judged.drifted_features = len(beyond)
        details = {
            "features": ",".join(f[0] for f in beyond),
            "tested": str(len(found)),
            "false_alarm_windows": _windows(chance),
            **_reference(ref),
        }
        for name, used, value, threshold in (
            beyond or sorted(found, key=lambda f: -_ratio(f[1], f[2], f[3]))[:3]
        ):
            details[f"score:{name}"] = f"{used} {value:.4g} (threshold {threshold:.4g})"
        names = ", ".join(f[0] for f in beyond[:6]) + (" ..." if len(beyond) > 6 else "")
        return Measurement(
            f"data_drift:{ref.model_name}",
            "drifted_features",
            float(len(beyond)),
            1.0,
            opens=bool(beyond),
            resolves=calm,
            details=details,
            summary=f"{len(beyond)} of {len(found)} features drifted ({names})"
            if beyond
            else f"no feature drifted ({len(found)} tested)",
            extent=frozenset(f[0] for f in beyond),
        )

    def _prediction_drift(
        self, ref: Reference, parts: list[dict[str, Any]], scored: int, judged: Judged
    ) -> Measurement:
        b = ref.prediction
        assert b is not None
        counts = sum((np.asarray(p["s"]) for p in parts if p["s"]), np.zeros(b.bins))
        test = self.drift.prediction.test if b.numeric else self.drift.tests.categorical
        value = float(STATISTICS[test](counts, b.expected, b.points, b.scale))
        null = self._null(ref, "__score__", b, test, int(counts.sum()))
        base = self.drift.prediction.threshold or self.drift.threshold(test)
        threshold = corrected(test, base, null, 1.0 / self.drift.false_alarm_windows)
        judged.prediction_score = (test, value)
        return Measurement(
            f"prediction_drift:{ref.model_name}",
            test,
            value,
            threshold,
            opens=bool(drifted(test, value, threshold)),
            resolves=_within(test, value, threshold, self.drift.resolve_ratio),
            details={
                "false_alarm_windows": _windows(null.exceedance(threshold)),
                **_reference(ref),
            },
        )

    def _null(self, ref: Reference, name: str, b: Binning, test: str, n: int) -> NullModel:
        bucket = 1 << max(n.bit_length() - 1, 0)  # fewer records: a wider null, so round down
        key = (ref.version, ref.shares_from, name, test, bucket)
        if key not in self._nulls:  # a refreshed reference is one window: its noise counts
            small = b.reference_count if ref.shares_from is not None else None
            self._nulls[key] = null_model(b, test, bucket, reference_n=small)
        return self._nulls[key]

    def _issuer(self, kind: AlertKind, ref: Reference) -> Issuer:
        severity: AlertSeverity = (
            "CRITICAL" if kind in ("CONCEPT_DRIFT", "MODEL_PERFORMANCE") else "WARNING"
        )
        return Issuer(self.pipeline, kind, severity, ref.model_name, ref.version)

    # -- the labelled stream -----------------------------------------------------------

    def _feed(
        self,
        state: PartitionState,
        held: dict[str, Any] | None,
        start: int,
        ref: Reference | None,
        judged: Judged,
    ) -> None:
        if held is None or ref is None:
            return
        outcomes = sorted(
            o for k in range(held.get("oc", 0)) for o in state.get(f"owner:o:{start}:{k}") or []
        )
        by_version: dict[int, list[list[Any]]] = {}
        for o in outcomes:
            if o[1] == ref.version and o[6] < ref.trained_until:
                continue  # the champion's own training or holdout rows say nothing new
            if o[2] == "CHAMPION" or o[1] != ref.version:
                by_version.setdefault(o[1], []).append(o)
        window = Window(start, start + self.step_ms, len(outcomes), clock="event")
        perf = self.drift.performance
        for version, rows in by_version.items():
            key = f"owner:perf:{version}"
            recent = (state.get(key) or []) + [[o[3], o[4], o[5]] for o in rows]
            recent = recent[-perf.window :]
            state.set(key, recent)
            if len(recent) >= perf.min_labels:
                realised = rolling_metrics(self.task, recent, ref.threshold)
                judged.performance[version] = realised
                if self.task == "binary" and version == ref.version:
                    guess = estimate(histogram([r[0] for r in recent]), ref.threshold or 0.5)
                    judged.gap[version] = {
                        k: guess[k] - v for k, v in realised.items() if k in guess
                    }
        champion = by_version.get(ref.version, [])
        if champion:
            m = self._concept(state, ref, champion)
            if m is not None:
                judged.alerts += judge(self._issuer("CONCEPT_DRIFT", ref), state, [m], window)
        figures = judged.performance.get(ref.version)
        if figures is not None and self.primary is not None:
            subject = f"model_performance:{ref.model_name}"
            latest = state.get(f"owner:perf:{ref.version}") or []
            m = self._performance(ref, figures, latest, is_open(state, subject))
            if m is not None:
                judged.alerts += judge(self._issuer("MODEL_PERFORMANCE", ref), state, [m], window)

    def _concept(
        self, state: PartitionState, ref: Reference, rows: list[list[Any]]
    ) -> Measurement | None:
        """ADWIN (or the spec's detector) on the champion's errors, opening once a change
        to more errors (a detector also flags a change to fewer) has taken the latest
        performance window's error rate beyond ``max_drop`` of the rate before it; an
        open alert resolves once a whole performance window of the champion's
        labels, all since it opened or since a new champion took over, errs no more than
        before the change (baseline)."""
        subject = f"concept_drift:{ref.model_name}"
        key = f"owner:concept:{ref.version}"
        held = state.get(key) or {"d": None, "seen": 0, "errors": 0}
        concept = self.drift.concept
        detector = (
            pickle.loads(held["d"])
            if held["d"] is not None
            else _DETECTORS[concept.detector](**concept.params)
        )
        detected_from = None  # the error rate before the latest change to more errors
        for o in rows:
            error = _error(self.task, o[3], o[4], o[5], ref)
            held["seen"] += 1
            held["errors"] += error
            before = getattr(detector, "estimation", None)
            detector.update(error)
            if detector.drift_detected and held["seen"] >= concept.min_labels:
                # a change to fewer errors is no concept drift to answer (ADWIN says which
                # way, and its mean before the change; DDM and HDDM only look for more)
                after = getattr(detector, "estimation", None)
                if before is None or after is None:
                    detected_from = held["errors"] / held["seen"]
                elif after > before:
                    detected_from = before
        held["d"] = pickle.dumps(detector)
        recent = state.get(f"owner:perf:{ref.version}") or []
        errors = [_error(self.task, r[0], r[1], r[2], ref) for r in recent]
        rate = float(np.mean(errors)) if errors else 0.0
        drop, window = self.drift.performance.max_drop, self.drift.performance.window
        # the detector's change is a suspicion; it opens once the latest performance
        # window errs beyond what is tolerated of the rate before the change (bursts of
        # errors in ordinary traffic are changes too, but leave that window's rate be)
        if detected_from is not None:
            held["suspect"] = {"before": detected_from, "seen": 0}
        suspect, fired = held.get("suspect"), None
        if suspect is not None:
            suspect["seen"] += len(rows)
            if rate > _tolerated(suspect["before"], drop, window):
                fired, held["suspect"] = suspect["before"], None
            elif suspect["seen"] > window:
                held["suspect"] = None  # it did not come to more errors
        state.set(key, held)
        # the open episode: the error rate before the change, and the labels since
        episode_key = f"owner:concept_episode:{ref.model_name}"
        episode = state.get(episode_key)
        opened = is_open(state, subject)
        if fired is not None and not opened:
            episode = {"baseline": fired, "version": ref.version, "since": 0}
        elif opened and episode is not None:
            if episode["version"] != ref.version:  # a new champion: its own labels count
                episode = {**episode, "version": ref.version, "since": 0}
            episode["since"] += len(rows)
        if episode is not None and (opened or fired is not None):
            state.set(episode_key, episode)
        elif episode is not None:
            state.delete(episode_key)  # resolved last time
            episode = None
        baseline = episode["baseline"] if episode is not None else None
        limit = _tolerated(baseline, drop, window) if baseline is not None else 0.0
        return Measurement(
            subject,
            f"error_rate_{self.drift.concept.detector}",
            rate,
            limit,
            opens=fired is not None,
            resolves=opened
            and episode is not None
            and episode["since"] >= window
            and rate <= limit,
            details={
                "detector": self.drift.concept.detector,
                "labelled": str(held["seen"]),
                "baseline_error_rate": f"{baseline:.4g}" if baseline is not None else "",
            },
            summary=f"the error rate of {ref.model_name}:{ref.version} changed "
            f"({self.drift.concept.detector}): {rate:.4g} over its latest labels",
        )

    def _performance(
        self, ref: Reference, figures: dict[str, float], rows: list[list[Any]], opened: bool
    ) -> Measurement | None:
        """MODEL_PERFORMANCE once the primary metric is beyond ``max_drop`` of the holdout's
        figure even allowing for the rolling window's sampling noise (its bootstrap's 95%
        bound); it resolves once the figure itself is back within half of it."""
        metric = self.primary
        assert metric is not None
        value, reference = figures.get(metric), ref.metrics.get(metric)
        if value is None or reference is None:
            return None
        drop = self.drift.performance.max_drop
        if higher_is_better(metric):
            limit, back = reference * (1 - drop), reference * (1 - drop / 2)
            worse, better = value < limit, value >= back
        else:
            limit, back = reference * (1 + drop), reference * (1 + drop / 2)
            worse, better = value > limit, value <= back
        if worse and not opened:  # is it worse beyond what the window's noise explains?
            bound = likely_bound(self.task, rows, ref.threshold, metric, seed=ref.version)
            if bound is not None:
                worse = bound < limit if higher_is_better(metric) else bound > limit
        return Measurement(
            f"model_performance:{ref.model_name}",
            metric,
            value,
            limit,
            opens=worse,
            resolves=better,
            details={"holdout": f"{reference:.4g}", "labels": str(self.drift.performance.window)},
            summary=f"{metric} of {ref.model_name}:{ref.version} is {value:.4g}, "
            f"{'below' if higher_is_better(metric) else 'above'} {limit:.4g} "
            f"(holdout {reference:.4g}) on its latest labelled predictions",
        )


def _reference(ref: Reference) -> dict[str, str]:
    """An alert's details about a refreshed reference: the event and the window."""
    if ref.shares_from is None:
        return {}
    since = datetime.datetime.fromtimestamp(ref.shares_from / 1000, datetime.UTC)
    return {"reference": f"refreshed by {ref.refresh}: the window from {since:%Y-%m-%d %H:%M:%S}"}


def _merged(held: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """Two partials of one partition and interval as one (counts on the same version's
    bins add up; a supplement on another version's bins adds nothing: its outcomes are
    kept apart)."""
    if held["v"] != more["v"] or held["m"] != more["m"]:
        return held
    features = dict(held["f"])
    for name, counts in more["f"].items():
        features[name] = _sum(features.get(name), counts)
    return {
        **held,
        "n": held["n"] + more["n"],
        "f": features,
        "pn": held["pn"] + more["pn"],
        "s": _sum(held["s"], more["s"]),
        "h": _sum(held.get("h"), more.get("h")),
    }


def _sum(a: list[int] | None, b: list[int] | None) -> list[int] | None:
    if not a:
        return b
    if not b:
        return a
    return [x + y for x, y in zip(a, b, strict=True)]


def _error(task: str, score: float | None, predicted: str, label: str, ref: Reference) -> int:
    """1 if the labelled prediction was wrong (regression: off by more than twice the
    holdout's mean absolute error)."""
    if task == "regression":
        limit = 2 * ref.metrics.get("mae", 0.0)
        return int(score is None or abs(float(label) - float(score)) > limit)
    return int(predicted != label)


def _tolerated(rate: float, drop: float, window: int) -> float:
    """The highest error rate over ``window`` labels still taken for ``rate``: ``max_drop``
    more, and two standard errors of a window's rate for its sampling noise."""
    return rate * (1 + drop) + 2 * math.sqrt(rate * (1 - rate) / window)


def _within(test: str, value: float, threshold: float, ratio: float) -> bool:
    if test in P_VALUE_TESTS:
        return value >= min(1.0, threshold / ratio)
    return value <= threshold * ratio


def _ratio(test: str, value: float, threshold: float) -> float:
    if test in P_VALUE_TESTS:
        return threshold / max(value, 1e-300)
    return value / threshold


def _windows(chance: float) -> str:
    """Expected windows between false alarms, from a window's chance of one."""
    return "inf" if chance <= 0 else f"{1 / chance:.3g}"
