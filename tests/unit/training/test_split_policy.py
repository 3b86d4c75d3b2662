"""The split (time order, matured rows only) and the training-data policy."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from streamops.pipeline.model_spec import DataPolicy, RecentWeight, SplitShares
from streamops_training.frame import Frame
from streamops_training.policy import keep_share, training_rows, within_lookback
from streamops_training.split import split_by_time

HOUR = 3_600_000


def _frame(times: list[int], labels: list[int]) -> Frame:
    data = pd.DataFrame(
        {
            "event_id": [f"e{i:05d}" for i in range(len(times))],
            "event_time": np.array(times, dtype=np.int64),
            "label": np.array(labels, dtype=np.int64),
            "label_source": ["labelled"] * len(times),
            "x": np.arange(len(times), dtype=np.float32),
        }
    )
    return Frame(data, ("x",), ())


def test_the_split_is_by_time_and_leaves_out_rows_younger_than_the_label_delay() -> None:
    # 100 rows an hour apart; the delay is 10 h: the last 10 rows are not matured
    times = [i * HOUR for i in range(100)]
    frame = _frame(times, [i % 2 for i in range(100)])
    split = split_by_time(frame, SplitShares(validation=0.2, holdout=0.1), 99 * HOUR, 10 * HOUR)
    assert split.counts() == {"train": 63, "validation": 18, "holdout": 9, "unmatured": 10}
    train, validation, holdout = (
        p.data["event_time"] for p in (split.train, split.validation, split.holdout)
    )
    assert train.max() < validation.min() and validation.max() < holdout.min()
    assert holdout.max() == 89 * HOUR  # the newest matured row: 89 + 10 <= 99


def test_after_an_alert_validation_and_holdout_are_shares_of_the_rows_since_its_window() -> None:
    # 100 matured rows an hour apart; the drift's window began at row 60: the newest 10%
    # and 20% of its 40 rows judge, every older row trains (with 28 of the drifted ones)
    times = [i * HOUR for i in range(100)]
    frame = _frame(times, [i % 2 for i in range(100)])
    shares = SplitShares(validation=0.2, holdout=0.1)
    split = split_by_time(frame, shares, 99 * HOUR, 0, since_ms=60 * HOUR)
    assert split.counts() == {"train": 88, "validation": 8, "holdout": 4, "unmatured": 0}
    assert split.train.data["event_time"].max() == 87 * HOUR
    assert split.holdout.data["event_time"].min() == 96 * HOUR
    # a window older than every row: the shares are of all of them, as without an alert
    assert split_by_time(frame, shares, 99 * HOUR, 0, since_ms=-HOUR).counts() == (
        split_by_time(frame, shares, 99 * HOUR, 0).counts()
    )
    # the unmatured tail is left out before the shares are taken
    late = split_by_time(frame, shares, 99 * HOUR, 10 * HOUR, since_ms=60 * HOUR)
    assert late.counts() == {"train": 81, "validation": 6, "holdout": 3, "unmatured": 10}


def test_lookback_keeps_rows_within_it_before_the_cutoff() -> None:
    frame = _frame([0, 5 * HOUR, 9 * HOUR, 10 * HOUR], [0, 0, 1, 0])
    kept = within_lookback(frame, DataPolicy(lookback=timedelta(hours=5)), 10 * HOUR)
    assert kept.data["event_time"].tolist() == [5 * HOUR, 9 * HOUR, 10 * HOUR]
    assert within_lookback(frame, DataPolicy(), 10 * HOUR) is frame


def test_negatives_are_sampled_by_event_and_seed_and_weigh_the_inverse_share() -> None:
    n = 20_000
    frame = _frame(list(range(n)), [1 if i % 100 == 0 else 0 for i in range(n)])
    policy = DataPolicy(negative_sample=0.25)
    kept, weights = training_rows(frame, policy, binary=True, seed=7, after_drift=False)
    labels = kept.data["label"].to_numpy()
    assert (labels == 1).sum() == 200  # every positive stays
    assert abs((labels == 0).sum() / 19_800 - 0.25) < 0.02
    assert set(weights[labels == 0]) == {4.0} and set(weights[labels == 1]) == {1.0}
    again, _ = training_rows(frame, policy, binary=True, seed=7, after_drift=False)
    assert again.data["event_id"].tolist() == kept.data["event_id"].tolist()
    other, _ = training_rows(frame, policy, binary=True, seed=8, after_drift=False)
    assert other.data["event_id"].tolist() != kept.data["event_id"].tolist()
    # an event's fate does not depend on which other rows are in the dataset
    ids = [f"e{i:05d}" for i in range(n)]
    assert (keep_share(ids[:50], 0.25, 7) == keep_share(ids, 0.25, 7)[:50]).all()


def test_sampling_is_for_binary_labels_only() -> None:
    frame = _frame(list(range(100)), [0] * 100)
    kept, weights = training_rows(frame, DataPolicy(negative_sample=0.25), False, 7, False)
    assert len(kept.data) == 100 and (weights == 1).all()


def test_after_drift_the_newest_training_rows_weigh_more() -> None:
    frame = _frame([i * HOUR for i in range(48)], [0] * 48)
    policy = DataPolicy(recent_weight=RecentWeight(factor=3.0, window=timedelta(hours=12)))
    _, calm = training_rows(frame, policy, True, 7, after_drift=False)
    _, drifted = training_rows(frame, policy, True, 7, after_drift=True)
    assert (calm == 1).all()
    assert drifted.tolist() == [1.0] * 36 + [3.0] * 12
