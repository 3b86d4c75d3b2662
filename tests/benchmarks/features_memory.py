"""The features benchmark's in-memory parts: the engine's compute alone, and the online view.

`compute_alone` runs `FeatureEngine.apply` as the service does, without Kafka: a
`StageState` on the memory store, batches of the stream in arrival order, each partition's
events in offset order, every batch committed to an in-memory changelog. Its records are
the reference the benchmark checks the service's and faust's outputs against.
`view_latency` times `OnlineView.vector` per event.
"""

from __future__ import annotations

import gc
import statistics
import time
from bisect import bisect_right
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry

from streamops.features import STORE, FeatureEngine, FeatureSet, OnlineView, feature_store
from streamops.features.compute import evict, new_rows
from streamops.features.running import RunningWindows
from streamops.features.stats import LONG
from streamops.state import StageState, StateSettings
from tests.unit.state.fakes import FakeChangelog, commit_batch

#: Events between evictions of rows (and fresh running aggregates), as a service batch
_BATCH = 1_000

#: One event as it landed: (partition, offset, event)
Landed = tuple[int, int, Mapping[str, Any]]
#: (late, feature values) of each event, by (partition, offset)
Reference = dict[tuple[int, int], tuple[bool, list[Any]]]


@dataclass
class ComputeFigures:
    """Seconds spent in `FeatureEngine.apply`, in the state's commit, and the records."""

    apply_s: float
    commit_s: float
    records: Reference


def compute_alone(features: FeatureSet, landed: Sequence[Landed], batch: int) -> ComputeFigures:
    """Apply the stream to a fresh memory state in batches of ``batch`` events."""
    with _stage_garbage_collector():
        return _compute_alone(features, landed, batch)


@contextmanager
def _stage_garbage_collector() -> Iterator[None]:
    """The collector's settings in a running stage (`streamops.runtime.stage`)."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _compute_alone(features: FeatureSet, landed: Sequence[Landed], batch: int) -> ComputeFigures:
    changelog = FakeChangelog()
    state = StageState(
        [feature_store(features)],
        StateSettings(backend="memory"),
        consumer_factory=changelog.consumer,  # type: ignore[arg-type]
    )
    state.bind("bench.features", CollectorRegistry())
    state.assign({p for p, _, _ in landed}, {})
    engine = FeatureEngine(features)
    fs, fields = features, features.fields
    # the events as the service hands them to the engine (decoding is not compute)
    as_engine = [
        (
            e[fs.key_field],
            e[fs.time_field],
            [e[f] for f in fields],
            [e[f] for f in fs.spec.passthrough],
        )
        for _, _, e in landed
    ]
    apply_s = commit_s = 0.0
    records: Reference = {}
    for i in range(0, len(landed), batch):
        state.begin()
        by_partition: dict[int, list[int]] = {}
        for n in range(i, min(i + batch, len(landed))):
            by_partition.setdefault(landed[n][0], []).append(n)
        offsets = {}
        for p, ns in sorted(by_partition.items()):
            events = [as_engine[n] for n in ns]
            started = time.perf_counter()
            vectors = engine.apply(state.partition(STORE, p), events)
            apply_s += time.perf_counter() - started
            for n, (vector, late) in zip(ns, vectors, strict=True):
                records[(p, landed[n][1])] = (late, vector)
            offsets[("input", p)] = landed[ns[-1]][1] + 1
        started = time.perf_counter()
        commit_batch(state, changelog, offsets)
        commit_s += time.perf_counter() - started
    state.close()
    return ComputeFigures(apply_s, commit_s, records)


@dataclass
class BusyShare:
    """`WindowComputer.compute` timed event by event: seconds for all events, and for the
    busy entities' ones."""

    all_s: float
    busy_s: float
    busy_events: int


def busy_share(features: FeatureSet, landed: Sequence[Landed], busy: Collection[str]) -> BusyShare:
    """Where the compute goes: each event timed alone, the busy entities' apart."""
    with _stage_garbage_collector():
        return _busy_share(features, landed, busy)


def _busy_share(features: FeatureSet, landed: Sequence[Landed], busy: Collection[str]) -> BusyShare:
    engine = FeatureEngine(features)
    fs = features
    as_engine = [
        (
            e[fs.key_field],
            e[fs.time_field],
            [e[f] for f in fs.fields],
            [e[f] for f in fs.spec.passthrough],
        )
        for _, _, e in landed
    ]
    computer, horizon = engine.computer, features.horizon_ms
    rows_of: dict[str, list[list[Any]]] = {}
    running: dict[str, RunningWindows] = {}
    partition_of: dict[str, int] = {}
    marks: dict[int, int | None] = {}
    spent = busy_spent = 0.0
    count = 0
    for n, ((p, _, _), (key, t, values, passthrough)) in enumerate(
        zip(landed, as_engine, strict=True)
    ):
        if n % _BATCH == 0:  # as the engine does at the end of each batch
            for k, entity in rows_of.items():
                mark = marks.get(partition_of[k])
                if mark is not None:
                    cut = bisect_right(entity[0], mark - horizon)
                    running[k].evicting(entity, cut)
                    evict(entity, mark - horizon)
                if len(entity[0]) <= LONG:  # the engine keeps only long entities' aggregates
                    running[k] = computer.running()
        found = rows_of.get(key)
        if found is None:
            found = rows_of[key] = new_rows(len(values))
            partition_of[key] = p
        rows = found
        kept = running.get(key)
        if kept is None:
            kept = running[key] = computer.running()
        mark = marks.get(p)
        started = time.perf_counter()
        _, late = computer.compute(rows, t, values, mark, True, kept, passthrough)
        took = time.perf_counter() - started
        spent += took
        if key in busy:
            busy_spent += took
            count += 1
        if not late and (mark is None or t > mark):
            marks[p] = mark = t
    return BusyShare(spent, busy_spent, count)


def view_queries(landed: Sequence[Landed], time_field: str, count: int) -> list[dict[str, Any]]:
    """``count`` events the view has not seen: the stream's last ones (its mix of ordinary
    and busy entities) again, just after their partition's newest event time, on time."""
    newest: dict[int, int] = {}
    for p, _, e in landed:
        newest[p] = max(newest.get(p, e[time_field]), e[time_field])
    tail = landed[-count:]
    return [
        {**e, time_field: newest[p] + 1_000 * (n % 60), "transaction_id": f"tx-query-{n}"}
        for n, (p, _, e) in enumerate(tail)
    ]


@dataclass
class Latency:
    """Per-event µs of `OnlineView.vector`: the first call, and the best of `REPEATS` calls
    (the computation without the machine's scheduling noise), split by busy and ordinary."""

    first_us: list[float]
    best_us: list[float]
    busy: list[bool]

    def quantiles(self, which: str, busy: bool | None = None) -> tuple[float, float]:
        """(p50, p99) of ``which`` ("first" or "best"), of busy, ordinary or all entities."""
        values = self.first_us if which == "first" else self.best_us
        chosen = [v for v, b in zip(values, self.busy, strict=True) if busy in (None, b)]
        if len(chosen) < 2:
            return (chosen[0], chosen[0]) if chosen else (0.0, 0.0)
        cuts = statistics.quantiles(chosen, n=100, method="inclusive")
        return cuts[49], cuts[98]


REPEATS = 3


def view_latency(
    view: OnlineView, queries: Sequence[Mapping[str, Any]], key_field: str, busy: Collection[str]
) -> Latency:
    """Time `OnlineView.vector` on each query, `REPEATS` calls in a row."""
    clock = time.perf_counter_ns
    for q in queries[:200]:
        view.vector(q)  # warm up
    first_us: list[float] = []
    best_us: list[float] = []
    for q in queries:
        took = []
        for _ in range(REPEATS):
            started = clock()
            view.vector(q)
            took.append((clock() - started) / 1000)
        first_us.append(took[0])
        best_us.append(min(took))
    return Latency(first_us, best_us, [q[key_field] in busy for q in queries])
