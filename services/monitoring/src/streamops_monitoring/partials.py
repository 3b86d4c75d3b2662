"""The record a partition publishes for the owner: one interval, counted.

A MonitoringPartial carries what one input partition counted in one interval of event
time (`partition.py`): the feature values and the champion's scores on the reference's
bins, the scores' histogram for the estimate before labels, and the labelled predictions
whose label became known in it, one chunk of them per record (`outcomes.py`). The owner
(`owner.py`) adds up every partition's partials before it judges a window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streamops.contracts.types import MonitoringPartial, Outcome
from streamops.features import utc_datetime
from streamops_monitoring.outcomes import empty_interval
from streamops_monitoring.reference import Reference


@dataclass(frozen=True)
class PartialBuilder:
    """Builds the MonitoringPartial records of a pipeline's partitions (the stage writes them)."""

    pipeline: str
    partitions: int
    step_ms: int

    def build(
        self,
        partition: int,
        interval: dict[str, Any] | None,
        outcomes_held: list[list[Any]],
        clock: dict[str, Any],
        ref: Reference | None,
        now_ms: int,
        start: int | None = None,
        version: int | None = None,
    ) -> MonitoringPartial:
        """The partial of ``partition``'s interval from ``start`` (None: the clock's next,
        an interval in which nothing was counted) with ``outcomes_held``; it takes the
        clock's count of late records. ``version``: a supplement's, as the first record of
        its interval said."""
        start = clock["next"] if start is None else start
        interval = interval or empty_interval()
        if version is None:  # an interval counted before there was a champion stays 0
            counted = interval["n"] or interval["pn"]
            version = interval["v"] or (ref.version if ref is not None and not counted else 0)
        outcomes: list[Outcome] = [
            {
                "known_at": utc_datetime(o[0]),
                "model_version": o[1],
                "role": o[2],
                "score": o[3],
                "predicted": o[4],
                "label": o[5],
                "event_time": utc_datetime(o[6]),
            }
            for o in outcomes_held
        ]
        late, clock["late"] = clock["late"], 0
        return {
            "pipeline": self.pipeline,
            "partition": partition,
            "partitions": self.partitions,
            "model_name": ref.model_name if ref is not None else "",
            "model_version": version,
            "start": utc_datetime(start),
            "end": utc_datetime(start + self.step_ms),
            "watermark": utc_datetime(clock["wm"]),
            "feature_count": interval["n"],
            "features": [{"name": n, "counts": c} for n, c in sorted(interval["f"].items())],
            "prediction_count": interval["pn"],
            "scores": {"name": "score", "counts": interval["s"]} if interval["s"] else None,
            "score_histogram": interval.get("h") or [],
            "outcomes": outcomes,
            "late_count": late,
            "produced_at": utc_datetime(now_ms),
        }
