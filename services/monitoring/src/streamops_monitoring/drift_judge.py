"""Data and prediction drift of a whole window against the champion's reference.

The owner (`owner.py`) hands over a window once every partition's partials of it are in:
the features' counts on the reference's bins, and the champion's scores. Each feature's
statistic (the spec's test for its type) is compared with a threshold raised to where
the reference itself would cross it once in ``false_alarm_windows`` windows for all the
features tested (`streamops.drift.calibrate`), so the dataset verdict, any feature beyond
its threshold, holds its false-alarm budget however many features there are. A REFRESH of
the champion takes the window at hand as the new reference first (`refresh.py`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from streamops.alerts import Measurement, Window, judge
from streamops.drift import STATISTICS, Binning, NullModel, corrected, drifted, null_model
from streamops.features import utc_datetime
from streamops.pipeline.drift_spec import CLOCK_FEATURES, P_VALUE_TESTS, DriftSpec
from streamops.state import PartitionState
from streamops_monitoring.budget import windows_between
from streamops_monitoring.estimate import estimate
from streamops_monitoring.judged import Judged, issuer
from streamops_monitoring.reference import Reference
from streamops_monitoring.refresh import refreshed


class DriftJudge:
    """Judges windows for DATA_DRIFT and PREDICTION_DRIFT; keeps the null models."""

    def __init__(
        self, pipeline: str, drift: DriftSpec, task: str, feature_windows: dict[str, int]
    ) -> None:
        self.pipeline = pipeline
        self.drift = drift
        self.task = task
        self.size_ms = int(drift.window.size.total_seconds() * 1000)
        self.skipped = set(CLOCK_FEATURES) | set(drift.exclude)
        #: feature -> its window (ms), for the ones that fill up after the stream starts
        self.feature_windows = feature_windows
        self._nulls: dict[tuple[int, int | None, str, str, int], NullModel] = {}

    def judge(
        self,
        state: PartitionState,
        start: int,
        held: list[dict[str, Any] | None],
        ref: Reference,
        origin: int,
        judged: Judged,
    ) -> None:
        """Judge the window from ``start`` (its intervals' partials ``held``; the stream's
        first interval began at ``origin``) against ``ref``: alerts and figures into
        ``judged``."""
        every = [p for h in held if h is not None for p in h["parts"].values()]
        parts = [p for p in every if p["v"] == ref.version and p["m"] == ref.model_name]
        # a window with records counted for another version (the champion changed in it)
        # is not judged: what is left would be some partitions' records, or the later part
        if any((p["n"] or p["pn"]) and p not in parts for p in every):
            return
        records = sum(p["n"] for p in parts)
        since = start - origin
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
            m = self.data_drift(ref, parts, records, since, judged)
            if m is not None:
                judged.alerts += judge(issuer(self.pipeline, "DATA_DRIFT", ref), state, [m], window)
                judged.windows["data"] = judged.windows.get("data", 0) + 1
        scored = sum(p["pn"] for p in parts)
        scores = [p["h"] for p in parts if p.get("h")]
        if self.task == "binary" and scored >= self.drift.min_records and scores:
            counts = np.sum(np.asarray(scores), axis=0)
            judged.estimated[ref.version] = estimate(counts, ref.threshold or 0.5)
        if ref.prediction is not None and scored >= self.drift.min_records and full:
            window = Window(start, start + self.size_ms, scored, clock="event")
            m = self.prediction_drift(ref, parts, scored, judged)
            judged.alerts += judge(
                issuer(self.pipeline, "PREDICTION_DRIFT", ref), state, [m], window
            )
            judged.windows["prediction"] = judged.windows.get("prediction", 0) + 1

    def data_drift(
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
            "false_alarm_windows": windows_between(chance),
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

    def prediction_drift(
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
                "false_alarm_windows": windows_between(null.exceedance(threshold)),
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


def _reference(ref: Reference) -> dict[str, str]:
    """An alert's details about a refreshed reference: the event and the window."""
    if ref.shares_from is None:
        return {}
    since = utc_datetime(ref.shares_from)
    return {"reference": f"refreshed by {ref.refresh}: the window from {since:%Y-%m-%d %H:%M:%S}"}


def _within(test: str, value: float, threshold: float, ratio: float) -> bool:
    if test in P_VALUE_TESTS:
        return value >= min(1.0, threshold / ratio)
    return value <= threshold * ratio


def _ratio(test: str, value: float, threshold: float) -> float:
    if test in P_VALUE_TESTS:
        return threshold / max(value, 1e-300)
    return value / threshold
