"""The training-data policy of ``model.data``: lookback, negative downsampling, recent weight.

Only the training rows are sampled and weighted; validation and holdout keep the live
class balance, so their metrics and the threshold mean what they will mean in serving.
"""

from __future__ import annotations

import hashlib

import numpy as np

from streamops.pipeline.model_spec import DataPolicy
from streamops_training.frame import Frame


def within_lookback(frame: Frame, policy: DataPolicy, cutoff_ms: int) -> Frame:
    """The rows no older than ``lookback`` before the cut-off (all rows without one)."""
    if policy.lookback is None:
        return frame
    start = cutoff_ms - round(policy.lookback.total_seconds() * 1000)
    return frame.take(frame.data["event_time"].to_numpy() >= start)


def keep_share(event_ids: list[str], share: float, seed: int) -> np.ndarray:
    """Whether each event is kept, a ``share`` of them: by a hash of seed and event id, so
    an event is kept or dropped alike in every dataset that holds it, in any process."""
    salt = seed.to_bytes(8, "big")
    draws = np.array(
        [
            int.from_bytes(hashlib.blake2b(e.encode(), digest_size=8, salt=salt).digest(), "big")
            for e in event_ids
        ],
        dtype=np.uint64,
    )
    return draws < np.uint64(int(share * 2**64 - 1))


def training_rows(
    frame: Frame, policy: DataPolicy, binary: bool, seed: int, after_drift: bool
) -> tuple[Frame, np.ndarray]:
    """The training rows after negative sampling, and the weight of each.

    A kept negative weighs 1/share, so the weighted class balance stays the data's. After
    a drift alert (``after_drift``) the rows of the last ``recent_weight.window`` before the
    newest training row weigh ``factor`` times more (the window is taken from the newest
    training row, not the cut-off: the rows nearer the cut-off are not matured yet).
    """
    data = frame.data
    weights = np.ones(len(data))
    if binary and policy.negative_sample is not None and policy.negative_sample < 1:
        negative = data["label"].to_numpy() == 0
        kept = ~negative | keep_share(data["event_id"].tolist(), policy.negative_sample, seed)
        frame, weights = frame.take(kept), np.where(negative, 1 / policy.negative_sample, 1.0)[kept]
        data = frame.data
    if after_drift and policy.recent_weight is not None and len(data):
        times = data["event_time"].to_numpy()
        window = round(policy.recent_weight.window.total_seconds() * 1000)
        weights = np.where(
            times > times.max() - window, weights * policy.recent_weight.factor, weights
        )
    return frame, weights
