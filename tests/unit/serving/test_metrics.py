"""Serving's batch histogram exposes what prometheus_client's own histogram would."""

from __future__ import annotations

import numpy as np
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from streamops_serving.metrics import BatchHistogram

BUCKETS = (0.005, 0.01, 0.5, 1, 30)


def _exposition(registry: CollectorRegistry) -> list[str]:
    text = generate_latest(registry).decode()
    return [line for line in text.splitlines() if "_created" not in line]


def test_a_batch_histogram_exposes_what_observing_one_by_one_does() -> None:
    # values on bounds (le is inclusive), between them, beyond the last, and zero
    values = np.array([0.0, 0.005, 0.0051, 0.01, 0.3, 1.0, 1.5, 30.0, 31.0, 1e6])
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    batch = BatchHistogram("x_seconds", "Latency.", {"pipeline": "p"}, BUCKETS, ours)
    batch.observe_many(values[:4])
    batch.observe_many(values[4:])
    batch.observe_many(np.array([]))
    one_by_one = Histogram("x_seconds", "Latency.", ["pipeline"], buckets=BUCKETS, registry=theirs)
    for value in values:
        one_by_one.labels("p").observe(float(value))
    assert _exposition(ours) == _exposition(theirs)
    assert 'x_seconds_bucket{le="0.005",pipeline="p"} 2.0' in _exposition(ours)
