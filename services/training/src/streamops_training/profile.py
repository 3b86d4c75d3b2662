"""The reference profile monitoring compares live data with: ModelVersion.ReferenceProfile.

Per feature of the training rows (before negative sampling, so it describes the live
distribution): non-null and null counts; for numbers min, max, mean, population std,
quantiles and a histogram on quantile edges (drift statistics such as PSI bin live data
on the same edges); for categories the most frequent values' counts and the rest's. The
``prediction`` entry is the model's output on the holdout: the positive probability
(binary) or the value (regression) as numbers, the top class (multiclass) as a category.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from streamops_training.frame import MISSING_CATEGORY, Frame

QUANTILE_LEVELS = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
BINS = 10
TOP_CATEGORIES = 50
#: Fewest rows with full windows a feature's profile is made of (else: no row).
MIN_FULL_ROWS = 500
log = logging.getLogger(__name__)


def numeric_profile(name: str, values: np.ndarray) -> dict[str, Any]:
    """A NUMERIC FeatureProfile of the values (NaN counts as null)."""
    values = values.astype(np.float64)
    present = values[~np.isnan(values)]
    stats = None
    if len(present):
        edges = np.unique(np.quantile(present, np.linspace(0, 1, BINS + 1)))
        if len(edges) < 2:
            edges = np.array([edges[0], edges[0] + 1.0])
        # first and last bins take everything outside the edges, as the contract says
        inner = np.clip(present, edges[0], edges[-1])
        counts, _ = np.histogram(inner, bins=edges)
        stats = {
            "min": float(present.min()),
            "max": float(present.max()),
            "mean": float(present.mean()),
            "std": float(present.std()),
            "quantiles": [
                {"level": level, "value": float(v)}
                for level, v in zip(
                    QUANTILE_LEVELS, np.quantile(present, QUANTILE_LEVELS), strict=True
                )
            ],
            "bin_edges": [float(e) for e in edges],
            "bin_counts": [int(c) for c in counts],
        }
    return {
        "name": name,
        "kind": "NUMERIC",
        "count": len(present),
        "null_count": len(values) - len(present),
        "numeric": stats,
        "categorical": None,
    }


def categorical_profile(name: str, values: np.ndarray) -> dict[str, Any]:
    """A CATEGORICAL FeatureProfile: the top values' counts, the others' together."""
    counts = Counter(v for v in values.tolist() if v != MISSING_CATEGORY)
    # by count, then value: the same data gives the same profile
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CATEGORIES]
    present = sum(counts.values())
    return {
        "name": name,
        "kind": "CATEGORICAL",
        "count": present,
        "null_count": len(values) - present,
        "numeric": None,
        "categorical": {
            "frequencies": dict(top),
            "other_count": present - sum(c for _, c in top),
        },
    }


def reference_profile(
    train: Frame,
    prediction: dict[str, Any] | None,
    filling_ms: Mapping[str, int] | None = None,
    stream_start_ms: int | None = None,
    later: Sequence[Frame] = (),
) -> dict[str, Any]:
    """The ReferenceProfile record of the training rows, with the holdout's prediction.

    A feature that looks back (``filling_ms``: a window, or the time since the previous
    event) is profiled on the rows at least that long after the stream started
    (``stream_start_ms``, the dataset's first event; default the first training row):
    before, its windows were still filling, and a reference of half-empty windows would
    call every full window afterwards a drift. Monitoring holds such features back the
    same way. A first model trained soon after the stream started may have fewer than
    `MIN_FULL_ROWS` full training rows: then the full rows of its whole training window
    (the training rows and the ``later`` ones, validation and holdout) are profiled, and
    when those are too few as well, none: without values the feature is not tested by
    monitoring, where a profile of the filling rows would make every full window drift.
    """
    data = train.data
    times = data["event_time"].to_numpy() if "event_time" in data else None
    filling = filling_ms or {}
    window = [data, *(f.data for f in later)]

    def rows(name: str) -> np.ndarray:
        values = np.asarray(data[name].to_numpy())
        wait = filling.get(name)
        if wait is None or times is None:
            return values
        start = times.min() if stream_start_ms is None else stream_start_ms
        for parts in (window[:1], window):
            part_values = np.concatenate([np.asarray(d[name].to_numpy()) for d in parts])
            full = np.concatenate([d["event_time"].to_numpy() for d in parts]) >= start + wait
            if full.sum() >= MIN_FULL_ROWS:
                return np.asarray(part_values[full])
        log.warning(
            "%s is not profiled: fewer than %d rows of the training window are %d s after "
            "the stream started, when its windows are full",
            name,
            MIN_FULL_ROWS,
            wait // 1000,
        )
        return values[:0]

    features = [numeric_profile(n, rows(n)) for n in train.numeric]
    features += [categorical_profile(n, rows(n)) for n in train.categorical]
    order = {n: i for i, n in enumerate(train.features)}
    features.sort(key=lambda f: order[f["name"]])
    return {"record_count": len(data), "features": features, "prediction": prediction}
