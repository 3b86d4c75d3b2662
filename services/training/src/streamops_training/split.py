"""The time-ordered split: oldest rows for training, then validation, the newest as holdout.

Only rows whose label delay has passed by the cut-off (``event_time + expected_delay <=
cutoff``) are split. A younger row is in the dataset only because its label came early,
and early labels are mostly positives (a chargeback is filed, a legitimate payment is not):
that tail would give the holdout a positive rate no live window has, and training on it
would learn from rows newer than the holdout. So the tail is left out of all three parts
and counted (`Split.unmatured`). Rows are in the dataset's order (event time, then event
id), so the split depends on the data alone.

After an alert the validation and holdout shares are of the rows since the alert's window
began (``since_ms``, the drifted rows), and every older row trains. Split by the whole
look-back, a retrain soon after a drift would fit only rows from before it (the oldest
70%) and be judged on the drifted ones: such a candidate wins or loses against the
champion by chance, and one that won by chance served worse than the model it replaced
(docs/benchmarks.md, the closed loop's seed 22). Split from the drift, it learns from the
older drifted rows and is judged on the newest: it beats the champion there only if it
learned the change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from streamops.pipeline.model_spec import SplitShares
from streamops_training.frame import Frame


@dataclass(frozen=True)
class Split:
    """Train, validation and holdout rows, and the rows left out as too young."""

    train: Frame
    validation: Frame
    holdout: Frame
    unmatured: int

    def counts(self) -> dict[str, int]:
        """Rows per part, by name."""
        return {
            "train": len(self.train.data),
            "validation": len(self.validation.data),
            "holdout": len(self.holdout.data),
            "unmatured": self.unmatured,
        }


def matured(frame: Frame, cutoff_ms: int, expected_delay_ms: int) -> Frame:
    """The rows whose label delay has passed by the cut-off."""
    return frame.take(frame.data["event_time"].to_numpy() + expected_delay_ms <= cutoff_ms)


def split_by_time(
    frame: Frame,
    shares: SplitShares,
    cutoff_ms: int,
    expected_delay_ms: int,
    since_ms: int | None = None,
) -> Split:
    """Split the matured rows by time: the newest ``holdout`` share, the ``validation`` share
    before it, and the rest for training; the shares are of the rows from ``since_ms`` on
    when it is given (see the module doc), of all of them otherwise."""
    ready = matured(frame, cutoff_ms, expected_delay_ms)
    n = len(ready.data)
    base = n
    if since_ms is not None:
        times = ready.data["event_time"].to_numpy()
        base = n - int(np.searchsorted(times, since_ms, side="left"))
    holdout = round(base * shares.holdout)
    validation = round(base * shares.validation)
    train = n - holdout - validation
    return Split(
        train=ready.take(slice(0, train)),
        validation=ready.take(slice(train, train + validation)),
        holdout=ready.take(slice(train + validation, n)),
        unmatured=len(frame.data) - n,
    )
