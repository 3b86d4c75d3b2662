"""Synthetic fraud-like training sets in the shape `streamops.dataset.build_dataset` gives.

Rows for every column of the pipeline's features schema (numbers and strings by Avro
type), a binary label that depends on a few of them, ordered by event time. As in a real
dataset, a row younger than the label delay at the cut-off is there only with its label
(mostly positives): the generator drops the young unlabelled rows the join would leave out.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from streamops.dataset import Dataset, DatasetIdentity
from streamops.dataset.build import dataset_columns
from streamops.dataset.identity import TopicRange
from streamops.dataset.join import LabelRules
from streamops.features import feature_set
from streamops.pipeline import Pipeline

DAY = 86_400_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
CATEGORIES = {
    "channel": ["pos", "web", "mobile", "atm"],
    "country": ["FR", "DE", "GB", "US", "ES", "IT", "NL", "SE", "CH", "BR"],
}
_RISKY = {"web", "BR", "US"}


def fraud_like(
    pipeline: Pipeline,
    rows: int,
    *,
    seed: int = 0,
    days: float = 20.0,
    positive_rate: float = 0.015,
    signal: float = 1.0,
    shuffle_labels: bool = False,
    classes: tuple[str, str, str] | None = None,
) -> Dataset:
    """A dataset of about ``rows`` rows over ``days`` days; cut-off at the last event.

    ``signal`` scales how much the features tell about the label (0: nothing);
    ``shuffle_labels`` permutes the labels among the rows (no feature tells anything);
    ``classes`` makes multiclass labels: the positives the last class, the others one of
    the first two at random.
    """
    rng = np.random.default_rng(seed)
    rules = LabelRules.from_spec(pipeline.spec)
    columns = dataset_columns(feature_set(pipeline).schema(), rules)
    times = np.sort(T0 + rng.integers(0, int(days * DAY), rows))
    cutoff = int(times.max())
    values: dict[str, Any] = {
        "event_id": [f"tx-{seed:04d}{i:012x}" for i in range(rows)],
        "entity_key": [f"card-{i:06d}" for i in rng.integers(0, 5000, rows)],
        "event_time": times.tolist(),
        "source_topic": ["fraud.events.valid"] * rows,
        "source_partition": [0] * rows,
        "source_offset": list(range(rows)),
        "late": [False] * rows,
    }
    logit = np.zeros(rows)
    for column in columns:
        if column.name in values or column.name.startswith("label"):
            continue
        t = column.avro_type
        base = next(m for m in (t if isinstance(t, list) else [t]) if m != "null")
        if base == "string":
            choices = CATEGORIES.get(column.name, [f"{column.name}-{i}" for i in range(30)])
            picked = rng.choice(choices, rows)
            logit += signal * 0.8 * np.isin(picked, list(_RISKY))
            values[column.name] = [
                None if m else p for p, m in zip(picked, rng.random(rows) < 0.02, strict=True)
            ]
        elif base in ("long", "int"):
            counts = rng.poisson(3, rows)
            if column.name == "hour_of_day":  # a bump no linear model can draw
                logit += signal * 2.0 * np.isin(counts, (2, 5))
            values[column.name] = counts.tolist()
        else:
            x = rng.lognormal(3, 1, rows)
            if column.name in ("amount", "amount_over_mean_1h", "max_amount_10m"):
                logit += signal * 0.9 * (np.log(x) - 3)
            nulls = rng.random(rows) < 0.05 if t != "double" else np.zeros(rows, bool)
            values[column.name] = [None if m else float(v) for v, m in zip(x, nulls, strict=True)]
    bias = intercept_for_rate(logit, positive_rate)
    label = (rng.random(rows) < 1 / (1 + np.exp(-(logit + bias)))).astype(float)
    if shuffle_labels:
        label = rng.permutation(label)
    young = times + rules.expected_delay_ms > cutoff
    keep = ~young | (label == 1.0)
    values["label"] = label.tolist()
    if classes is not None:
        other = np.where(rng.random(rows) < 0.3, classes[1], classes[0])
        values["label"] = np.where(label == 1.0, classes[2], other).tolist()
    values["label_source"] = [
        "labelled" if y or yg else "negative_after_delay"
        for y, yg in zip(label, young, strict=True)
    ]
    values["label_time"] = [int(t + DAY) if y else None for t, y in zip(times, label, strict=True)]
    names = [c.name for c in columns]
    table = list(zip(*(values[n] for n in names), strict=True))
    kept = [row for row, k in zip(table, keep, strict=True) if k]
    empty = TopicRange("fraud.features", {0: (0, rows)}, (1,), rows)
    identity = DatasetIdentity(
        pipeline=pipeline.name,
        cutoff_ms=cutoff,
        features=empty,
        labels=TopicRange("fraud.labels.valid", {0: (0, 0)}, (2,), 0),
        counts={"rows": len(kept)},
        content_hash=f"synthetic-{seed}-{rows}",
        columns=tuple(names),
    )
    return Dataset(identity, columns, kept)


def intercept_for_rate(logit: np.ndarray, rate: float) -> float:
    """The intercept giving about ``rate`` positives (bisection on the mean probability)."""
    low, high = -30.0, 30.0
    for _ in range(60):
        mid = (low + high) / 2
        if np.mean(1 / (1 + np.exp(-(logit + mid)))) > rate:
            high = mid
        else:
            low = mid
    return (low + high) / 2
