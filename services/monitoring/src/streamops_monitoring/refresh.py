"""A refreshed reference: the champion's bins, the shares of one window's traffic.

A REFRESH deployment event (training's, when a retrain for a drift alert was not
promoted and the spec says ``retraining.not_promoted: refresh_reference``, or an
operator's `streamops models refresh`) says that the champion handles today's traffic
and that drift should be measured from it. The owner takes the counts of the first
window it judges after reading the event, feature by feature on the champion's own bins
(so every partial counted before or after stays comparable), keeps them in its state
under the event's id, and judges that window and the later ones against their shares.
The drift alerts then resolve, with their usual hysteresis, once the traffic is like
that window; a drift from there opens a new one. A restarted or new owner finds the
same counts in its state, and the verdicts do not depend on which replica owns them.

A feature whose windows were still filling in that window keeps its training profile,
as does the whole reference while the window has fewer than ``drift.min_records``
records (the next window is taken instead).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from streamops.state import PartitionState
from streamops_monitoring.reference import Reference, with_shares

_REFRESHED = "owner:refreshed"


def refreshed(
    state: PartitionState,
    ref: Reference,
    parts: list[dict[str, Any]],
    start: int,
    *,
    full: Mapping[str, bool],
    scores_full: bool,
    min_records: int,
) -> Reference:
    """``ref`` as its latest REFRESH makes it, taking the window of ``parts`` (beginning at
    ``start``) as the new reference if no window was taken for that event yet. ``full``
    and ``scores_full``: whether each feature's windows, and those of every feature the
    model reads, were full in this window."""
    if ref.refresh is None:
        return ref
    key = f"{_REFRESHED}:{ref.model_name}:{ref.version}"
    held = state.get(key)
    if held is None or held["id"] != ref.refresh:
        if sum(p["n"] for p in parts) < min_records:
            return ref
        counts: dict[str, np.ndarray] = {}
        for p in parts:
            for name, c in p["f"].items():
                if full.get(name, True):
                    counts[name] = counts[name] + c if name in counts else np.asarray(c)
        scores = [np.asarray(p["s"]) for p in parts if p["s"]] if scores_full else []
        held = {
            "id": ref.refresh,
            "window": start,
            "f": {name: c.tolist() for name, c in counts.items()},
            "s": np.sum(scores, axis=0).tolist() if scores else None,
        }
        state.set(key, held)
    return with_shares(ref, held["f"], held["s"], held["window"])
