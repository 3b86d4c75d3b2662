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
known, on the same rule. The owner keeps the books; `DriftJudge` (`drift_judge.py`)
judges a window's drift and `LabelledJudge` (`labelled_judge.py`) an interval's labels.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from streamops.alerts import is_open
from streamops.contracts.types import MonitoringPartial
from streamops.features import event_time_ms
from streamops.pipeline import Pipeline
from streamops.pipeline.drift_spec import DriftSpec
from streamops.state import PartitionState
from streamops_monitoring.drift_judge import DriftJudge
from streamops_monitoring.judged import KINDS, Judged
from streamops_monitoring.labelled_judge import LabelledJudge
from streamops_monitoring.reference import Reference

__all__ = ["IDLE_MS", "KINDS", "OWNER_PARTITION", "Judged", "Owner"]

OWNER_PARTITION = 0
_CLOCK, _ORIGIN = "owner:clock", "owner:origin"
_NEXT, _FED = "owner:next", "owner:fed"  # next window start; next interval to feed
_INTERVALS = "owner:intervals"  # sorted starts of the intervals held
#: partition -> [its newest watermark, the owner's wall clock when that partial came]
_HEARD = "owner:heard"
#: the owner's wall clock when partials came again after every partition had been silent
_RESUMED = "owner:resumed"
#: how long (wall clock) a partition may stay silent before the owner stops waiting for it
IDLE_MS = 30_000


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
        primary = spec.model.metric_for(task) if spec.model is not None else None  # type: ignore[arg-type]
        self.drifts = DriftJudge(spec.name, self.drift, task, feature_windows)
        self.labelled = LabelledJudge(spec.name, self.drift, task, primary, self.step_ms)

    # -- partials in -------------------------------------------------------------------

    def combine(self, state: PartitionState, partial: MonitoringPartial, now_ms: int) -> bool:
        """Keep a partition's partial until its windows are judged; False if too late.

        ``now_ms`` (wall clock) dates when the owner last heard from the partition."""
        start = event_time_ms(partial["start"])
        watermark = event_time_ms(partial["watermark"])
        if watermark > state.get(_CLOCK, watermark - 1):
            state.set(_CLOCK, watermark)
        heard = state.get(_HEARD) or {}
        if heard and now_ms - max(at for _, at in heard.values()) >= self.idle_ms:
            state.set(_RESUMED, now_ms)  # the whole stream paused: no partition was idle
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
                        event_time_ms(o["known_at"]),
                        o["model_version"],
                        o["role"],
                        o["score"],
                        o["predicted"],
                        o["label"],
                        event_time_ms(o["event_time"]),
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
            self.labelled.feed(state, held, fed, ref, judged)
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
                self.drifts.judge(state, start, held, ref, state.get(_ORIGIN), judged)
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

    def progress(self, state: PartitionState) -> dict[str, int]:
        """How far the verdicts are, in event time (epoch ms): ``clock``, the newest
        watermark a partial reported; ``data``, the end of the last window judged and
        ``labels``, of the last labelled interval fed (each once there is one); and
        ``partition:N``, the newest watermark partition N reported. A verdict lag
        (``clock`` minus ``data``) that grows while records come means a partition's
        partials are not coming."""
        clock = state.get(_CLOCK)
        if clock is None:
            return {}
        out = {"clock": clock}
        origin, start, fed = state.get(_ORIGIN), state.get(_NEXT), state.get(_FED)
        if start > origin:
            out["data"] = start + self.size_ms - self.step_ms
        if fed > origin:
            out["labels"] = fed
        for name, (watermark, _) in (state.get(_HEARD) or {}).items():
            out[f"partition:{name}"] = watermark
        return out

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
        never heard from (no traffic) and those silent for `idle_ms` (their input stopped)
        while others were heard from: after a pause of the whole stream (the producer
        stopped for a while), a partition's silence counts from when partials came again,
        or a partition slower to resume would be left out of the first windows.
        """
        heard: dict[str, list[int]] = {}
        resumed = state.get(_RESUMED, 0)
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
                if name not in there and behind and now_ms - max(at, resumed) < self.idle_ms:
                    return False  # alive and behind: its partial is coming
        return True


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
