"""The labelled stream: the champion's labelled predictions, in the order their labels
became known, one interval at a time.

From them, per model version: the rolling metrics over the latest
``drift.performance.window`` labels (gauges, and the gap to the estimate made before the
labels); for the champion, CONCEPT_DRIFT from the spec's `river.drift` detector on its
errors or from labels that break its scores' promise (binary models: the primary metric
the labels give, against the one its scores promise on the same predictions, NannyML's
CBPE), and its primary metric against its holdout figure, as bad as the holdout's own
noise allows (MODEL_PERFORMANCE, `model_performance.py`).
Each version's detector (pickled) and latest labels live in the owner's state; the
detector, its suspicion and the gate are in `concept.py`.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from streamops.alerts import Measurement, Window, is_open, judge, open_extent
from streamops.pipeline.drift_spec import DriftSpec
from streamops.state import PartitionState
from streamops_monitoring.budget import error_rate_budget
from streamops_monitoring.concept import episode_of, error_of, gate, tolerated, watch
from streamops_monitoring.estimate import estimate, histogram
from streamops_monitoring.judged import Judged, issuer
from streamops_monitoring.model_performance import model_performance
from streamops_monitoring.performance import rolling_metrics
from streamops_monitoring.promise import Promise, promise_of
from streamops_monitoring.reference import Reference

log = logging.getLogger(__name__)


class LabelledJudge:
    """Feeds labelled intervals to the rolling metrics and the champion's detectors."""

    def __init__(
        self, pipeline: str, drift: DriftSpec, task: str, primary: str | None, step_ms: int
    ) -> None:
        self.pipeline = pipeline
        self.drift = drift
        self.task = task
        self.primary = primary
        self.step_ms = step_ms

    def feed(
        self,
        state: PartitionState,
        held: dict[str, Any] | None,
        start: int,
        ref: Reference | None,
        judged: Judged,
    ) -> None:
        """Feed the interval from ``start`` (``held``: its partials, whose outcomes are in
        ``state`` by chunk): every version's rolling metrics into ``judged``, and for the
        champion ``ref`` its CONCEPT_DRIFT and MODEL_PERFORMANCE alerts."""
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
        promise: Promise | None = None
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
                    promise = promise_of(
                        state, ref, recent, realised, guess, self.primary, self.task, perf
                    )
        champion = by_version.get(ref.version, [])
        if champion:
            m = self.concept(state, ref, champion, promise)
            if m is not None:
                judged.alerts += judge(
                    issuer(self.pipeline, "CONCEPT_DRIFT", ref), state, [m], window
                )
        figures = judged.performance.get(ref.version)
        if figures is not None and self.primary is not None:
            subject = f"model_performance:{ref.model_name}"
            latest = state.get(f"owner:perf:{ref.version}") or []
            found = open_extent(state, subject)
            m = model_performance(
                self.drift.performance, self.task, self.primary, ref, figures, latest, found
            )
            if m is not None:
                judged.alerts += judge(
                    issuer(self.pipeline, "MODEL_PERFORMANCE", ref), state, [m], window
                )

    def concept(
        self,
        state: PartitionState,
        ref: Reference,
        rows: list[list[Any]],
        promise: Promise | None = None,
    ) -> Measurement | None:
        """ADWIN (or the spec's detector) on the champion's errors (`concept.watch`). A
        change to more errors is a suspicion; it opens once the latest performance
        window's error rate is beyond ``max_drop`` of the rate before the change (and the
        sampling noise of both), within `concept.SUSPECTED_WINDOWS` windows of labels
        after it (`concept.gate`). The rate before the change is the detector's mean then,
        and its noise counts: ADWIN's window can be a few hundred labels just after a
        change it saw, and on stable traffic such means were as low as 0.0031 where the
        latest 10,000 labels erred 0.0062 (make demo, 2026-12-05). An open alert resolves
        once a whole performance window of the champion's labels, all since it opened or
        since a new champion took over, errs no more than before the change (baseline) and
        keeps the scores' promise.

        ``promise`` (binary models, `promise.promise_of`): labels that give a primary metric beyond
        ``max_drop`` short of what the champion's scores promise on the same predictions,
        even at the best their bootstrap allows, open it too: the scores no longer mean
        what they meant, which is what a concept drift is (a covariate shift moves the
        promise and the labels together). A fraud model that still catches a third of new
        fraud errs on 0.93-1.06% of its latest 10,000 labels against 0.69% before, at the
        edge of that rate's noise, while its PR-AUC falls to 0.43-0.51 where its scores
        promise 0.64-0.67 (docs/benchmarks.md, "Concept drift the error rate barely
        shows"). Such an episode's baseline is the error rate of the champion's first
        whole window of labels."""
        subject = f"concept_drift:{ref.model_name}"
        key = f"owner:concept:{ref.version}"
        name, detector = f"{ref.model_name}:{ref.version}", self.drift.concept.detector
        held = state.get(key) or {"d": None, "seen": 0, "errors": 0}
        drop, window = self.drift.performance.max_drop, self.drift.performance.window
        suspect = watch(held, rows, self.task, ref, self.drift.concept, window)
        recent = state.get(f"owner:perf:{ref.version}") or []
        errors = [error_of(self.task, r[0], r[1], r[2], ref) for r in recent]
        rate = float(np.mean(errors)) if errors else 0.0
        fired, fired_n, suspect = gate(suspect, rate, len(recent), drop, window, name, detector)
        by = str(detector)
        opened = is_open(state, subject)
        if fired is None and not opened and promise is not None and promise.broken:
            fired, by = promise.errors, "promise"
            log.info(
                "%s: the labels break its scores' promise: %s %.4g over the latest %s labels, "
                "where the scores promise %.4g (%.4g of it its own from the start): below "
                "%.4g even at the labels' best",
                name,
                promise.metric,
                promise.value,
                len(recent),
                promise.promised,
                promise.excess,
                promise.limit,
            )
        held["suspect"] = suspect
        state.set(key, held)
        episode = episode_of(state, ref, fired, fired_n, opened, len(rows))
        baseline = episode["baseline"] if episode is not None else None
        limit = (
            tolerated(baseline, drop, window, episode.get("n", window))
            if episode is not None and baseline is not None
            else 0.0
        )
        details = {
            "detector": self.drift.concept.detector,
            "labelled": str(held["seen"]),
            "baseline_error_rate": f"{baseline:.4g}" if baseline is not None else "",
        }
        if episode is not None and baseline is not None:  # were it to err as before
            n = episode.get("n", window)
            details["false_alarm_windows"] = error_rate_budget(baseline, drop, window, n)
        if promise is not None:
            details.update(promise.details())
        if by == "promise" and promise is not None:
            details["opened_by"] = "promise"
            if promise.false_alarm_windows is not None:
                details["false_alarm_windows"] = promise.false_alarm_windows
            return Measurement(
                subject,
                f"{promise.metric}_promised",
                promise.value,
                promise.limit,
                opens=True,
                resolves=False,
                details=details,
                summary=f"the labels break the promise of {ref.model_name}:{ref.version}'s "
                f"scores: {promise.metric} {promise.value:.4g} over its latest labels, where "
                f"its scores promise {promise.promised:.4g}",
            )
        return Measurement(
            subject,
            f"error_rate_{self.drift.concept.detector}",
            rate,
            limit,
            opens=fired is not None,
            resolves=opened
            and episode is not None
            and episode["since"] >= window
            and rate <= limit
            and (promise is None or promise.kept),
            details=details,
            summary=f"the error rate of {ref.model_name}:{ref.version} changed "
            f"({self.drift.concept.detector}): {rate:.4g} over its latest labels",
        )
