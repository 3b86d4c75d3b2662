"""The window features recomputed by brute force, straight from their definitions.

An oracle for the features service and `streamops.features`: it implements the contract of
services/features/README.md ("What a feature means") directly with pandas and numpy, and
shares no code with the library's features package. Every event is paired with each
earlier event (in its partition's offset order) of its entity, and the definitions are
conditions on those pairs, so the work is quadratic in an entity's events: fine for tests
and a few thousand events per entity (100,000 events take seconds).

`assert_features_match` compares what a service wrote with it: exact for counts,
distincts, ``late``, hour and day; ``math.isclose(rel_tol=1e-9)`` for the rest.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from streamops.pipeline import Pipeline

#: Columns of the expected frame beside the features: where and when each event was.
CONTEXT = ("entity_key", "event_time", "partition", "offset", "late")
#: reduces the values of each event's pairs with a ufunc: one value per event
PerEvent = Callable[[np.ufunc, np.ndarray], np.ndarray]
_PAIRS = 4_000_000  # pairs computed at once (bounds the memory)
_UNITS = (("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000))


@dataclass(frozen=True)
class Definitions:
    """What a pipeline's ``features:`` section asks for, read from its spec."""

    windows_ms: tuple[int, ...]
    grace_ms: int
    aggregates: tuple[tuple[str, str | None], ...]  # (function, field), spec order
    event: tuple[str, ...]
    timezone: str
    id_field: str
    key_field: str
    time_field: str
    passthrough: tuple[str, ...] = ()

    @classmethod
    def of(cls, pipeline: Pipeline) -> Definitions:
        spec = pipeline.spec
        features = spec.features
        assert features is not None, f"{spec.name} has no features section"

        def ms(d: timedelta) -> int:
            return round(d.total_seconds() * 1000)

        return cls(
            windows_ms=tuple(ms(w) for w in features.windows),
            grace_ms=ms(features.grace),
            aggregates=tuple((a.function, a.field) for a in features.aggregates),
            event=tuple(str(e) for e in features.event),
            timezone=features.timezone,
            id_field=spec.event.id_field,
            key_field=spec.event.key_field,
            time_field=spec.event.time_field,
            passthrough=tuple(features.passthrough),
        )

    @property
    def horizon_ms(self) -> int:
        return max(self.windows_ms) + self.grace_ms

    def names(self) -> list[str]:
        """Feature names in record order, as the README spells them."""
        out = []
        for w in self.windows_ms:
            label = next((f"{w // n}{u}" for u, n in _UNITS if w % n == 0), f"{w}ms")
            for function, field in self.aggregates:
                if function == "count":
                    out.append(f"count_{label}")
                elif function == "ratio_to_mean":
                    out.append(f"{field}_over_mean_{label}")
                else:
                    out.append(f"{function}_{field}_{label}")
        return out + list(self.event) + list(self.passthrough)


def expected_features(
    events: Sequence[Mapping[str, Any]], positions: Sequence[tuple[int, int]], d: Definitions
) -> pd.DataFrame:
    """One row per event (index: its id): `CONTEXT`, then every feature; NaN is null.

    ``positions``: the (partition, offset) at which each event landed in the input topic.
    """
    frame = pd.DataFrame(
        {
            "event_id": [e[d.id_field] for e in events],
            "entity_key": [e[d.key_field] for e in events],
            "event_time": np.array([e[d.time_field] for e in events], dtype=np.int64),
            "partition": [p for p, _ in positions],
            "offset": [o for _, o in positions],
        }
    )
    for name in dict.fromkeys(f for _, f in d.aggregates if f is not None):
        frame[name] = pd.Series([e[name] for e in events], dtype=object)
    frame = frame.sort_values(["partition", "offset"], kind="stable", ignore_index=True)
    # W: the highest event time among the partition's earlier events (-inf: none)
    frame["watermark"] = (
        frame.groupby("partition")["event_time"]
        .transform(lambda s: s.cummax().shift(1))
        .astype(np.float64)
        .fillna(-np.inf)
    )
    frame["late"] = frame["event_time"] < frame["watermark"] - d.grace_ms
    # From here on each entity's events are together, still in offset order.
    frame = frame.sort_values(["partition", "entity_key", "offset"], ignore_index=True)
    rank = frame.groupby(["partition", "entity_key"]).cumcount().to_numpy()
    # the aggregated fields: numbers (NaN for null), or for distincts codes of the values
    # numbered from 0 in each entity (a small code space), -1 for null
    columns: dict[str | None, np.ndarray] = {}
    entity = frame.groupby(["partition", "entity_key"], sort=False).ngroup()
    for function, field in d.aggregates:
        if function == "distinct":
            value = frame.groupby(["partition", "entity_key", field], dropna=True).ngroup()
            first = value.groupby(entity).transform("min")
            columns[field] = (value - first).fillna(-1).to_numpy(np.int64)
        elif function != "count":
            columns[field] = frame[field].to_numpy(np.float64, na_value=np.nan)
    out: dict[str, Any] = {
        name: np.full(len(frame), np.nan) for name in d.names() if name not in d.passthrough
    }
    pairs_per_event = rank + 1
    ends = np.cumsum(pairs_per_event)
    start = 0
    while start < len(frame):  # in chunks of about _PAIRS pairs
        stop = max(start + 1, int(np.searchsorted(ends, ends[start] + _PAIRS)))
        _chunk(d, frame, columns, rank, start, min(stop, len(frame)), out)
        start = stop
    local = pd.to_datetime(frame["event_time"], unit="ms", utc=True).dt.tz_convert(d.timezone)
    if "hour_of_day" in out:
        out["hour_of_day"] = local.dt.hour.to_numpy()
    if "day_of_week" in out:
        out["day_of_week"] = local.dt.day_of_week.to_numpy()  # Monday is 0
    for name in out:
        if column_kind(name) == "int":
            out[name] = out[name].astype(np.int64)
    by_id = {e[d.id_field]: e for e in events}
    for name in d.passthrough:  # the event's own value, as it came (None: null)
        out[name] = pd.Series([by_id[i].get(name) for i in frame["event_id"]], dtype=object)
    result = frame[["event_id", *CONTEXT]].assign(**out)
    result.attrs["passthrough"] = d.passthrough
    return result.set_index("event_id")


def _chunk(
    d: Definitions,
    frame: pd.DataFrame,
    columns: dict[str | None, np.ndarray],
    rank: np.ndarray,
    start: int,
    stop: int,
    out: dict[str, np.ndarray],
) -> None:
    """The features of events ``start:stop`` of ``frame`` (sorted by partition, entity,
    offset), from a table of pairs (e, f): each event e with itself and every earlier
    event f of its entity and partition. Pairs of one e are contiguous, e's own last."""
    count = rank[start:stop] + 1
    first = np.cumsum(count) - count  # where each e's pairs begin
    e = np.repeat(np.arange(start, stop), count)
    f = e - rank[e] + (np.arange(len(e)) - np.repeat(first, count))
    t = frame["event_time"].to_numpy(np.float64)  # exact: ms times are far below 2**53
    te, tf = t[e], t[f]
    watermark = frame["watermark"].to_numpy()[e]
    itself = e == f
    # the rows of e: earlier events, not late, newer than W - H
    rows = ~itself & ~frame["late"].to_numpy()[f] & (tf > watermark - d.horizon_ms)

    def per_event(ufunc: np.ufunc, values: np.ndarray) -> np.ndarray:
        reduced: np.ndarray = ufunc.reduceat(values, first)
        return reduced

    if "seconds_since_previous" in out:
        previous = per_event(np.maximum, np.where(rows & (tf <= te), tf, -np.inf))
        now = t[start:stop]
        out["seconds_since_previous"][start:stop] = np.where(
            np.isfinite(previous), (now - previous) / 1000.0, np.nan
        )
    names = iter(d.names())
    for w in d.windows_ms:
        window = itself | (rows & (tf > te - w) & (tf <= te))
        stats: dict[str | None, dict[str, np.ndarray]] = {}
        for function, field in d.aggregates:
            column = out[next(names)]
            if function == "count":
                column[start:stop] = per_event(np.add, window.astype(np.int64))
            elif function == "distinct":
                codes = columns[field]
                column[start:stop] = _distinct(window, e - start, codes[f], stop - start)
            else:
                v = columns[field]
                if field not in stats:
                    stats[field] = _numeric(window & ~np.isnan(v[f]), v[f], e - start, per_event)
                if function == "ratio_to_mean":
                    own, mean = v[start:stop], stats[field]["mean"]
                    with np.errstate(invalid="ignore", divide="ignore"):
                        ratio = own / mean
                    column[start:stop] = np.where(np.isnan(own) | (mean == 0), np.nan, ratio)
                else:
                    column[start:stop] = stats[field][function]


def _numeric(
    have: np.ndarray, v: np.ndarray, e: np.ndarray, per_event: PerEvent
) -> dict[str, np.ndarray]:
    """sum, mean, std (population), min, max of the values ``v`` of the pairs in ``have``,
    per event (``e``: each pair's); NaN (null) where an event has none, but a sum of 0."""
    n = per_event(np.add, have.astype(np.int64))
    total = per_event(np.add, np.where(have, v, 0.0))
    some = n > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(some, total / n, np.nan)
        low = np.where(some, per_event(np.minimum, np.where(have, v, np.inf)), np.nan)
        high = np.where(some, per_event(np.maximum, np.where(have, v, -np.inf)), np.nan)
        deviation = np.where(have, v - mean[e], 0.0)
        std = np.sqrt(per_event(np.add, deviation * deviation) / n)
    # equal values (one, or several): exactly 0, not the rounding noise of the mean
    std = np.where(some & (low == high), 0.0, std)
    return {"sum": total, "mean": mean, "std": std, "min": low, "max": high}


def _distinct(window: np.ndarray, e: np.ndarray, codes: np.ndarray, events: int) -> np.ndarray:
    """Per event, how many different codes >= 0 (non-null values) its pairs in ``window``
    hold; ``e``: the event (0 ..< events) of each pair."""
    keep = window & (codes >= 0)
    if not keep.any():
        return np.zeros(events, dtype=np.int64)
    kinds = int(codes[keep].max()) + 1
    seen = np.zeros(events * kinds, dtype=bool)
    seen[e[keep] * kinds + codes[keep]] = True
    counts: np.ndarray = seen.reshape(events, kinds).sum(axis=1)
    return counts


def assert_demanding(expected: pd.DataFrame) -> None:
    """The stream behind ``expected`` (fraud.yaml's features) has what makes a comparison
    worth something: more than a day, late events, busy cards, bursts, equal times."""
    hours = (expected["event_time"].max() - expected["event_time"].min()) / 3_600_000
    assert hours > 24, f"{hours:.1f} h of event time"
    late = int(expected["late"].sum())
    assert 0.002 * len(expected) < late < 0.01 * len(expected), f"{late} late events"
    assert expected["count_1d"].max() > 250, "no busy card"
    assert (expected["count_10m"] > 3).mean() > 0.02, "few bursts within 10 minutes"
    assert (expected["seconds_since_previous"] == 0).mean() > 0.005, "few equal times"
    assert (expected["distinct_merchant_id_1d"] > 3).mean() > 0.05, "few distinct merchants"
    assert (expected["std_amount_1h"] == 0).mean() > 0.05, "few windows of equal amounts"
    assert (expected["std_amount_1h"] > 0).mean() > 0.05


def column_kind(name: str) -> str:
    """How a column is compared: exact (counts, distincts, late, hour, day) or close."""
    exact = name.startswith(("count_", "distinct_")) or name in ("hour_of_day", "day_of_week")
    return "bool" if name == "late" else "int" if exact else "float"


def feature_mismatches(
    actual: Iterable[Mapping[str, Any]], expected: pd.DataFrame, limit: int = 15
) -> list[str]:
    """What differs between the records a service wrote and ``expected``, readably; [] if
    nothing. Every expected event must have exactly one record, with every column."""
    records: dict[str, Mapping[str, Any]] = {}
    problems: list[str] = []
    for r in actual:
        if r["event_id"] in records:
            problems.append(f"event {r['event_id']}: more than one record")
        records[r["event_id"]] = r
    ids = expected.index.tolist()
    unexpected = sorted(set(records) - set(ids))
    if unexpected:
        problems.append(f"{len(unexpected)} records of unknown events, e.g. {unexpected[:5]}")
    have = np.array([i in records for i in ids], dtype=bool)
    if not have.all():
        missing = [i for i in ids if i not in records]
        problems.append(f"{len(missing)} events without a record, e.g. {missing[:5]}")
        expected = expected[have]
    columns = [c for c in expected.columns if c == "late" or c not in CONTEXT]
    # record by record (the records are far apart in memory), then column by column
    values, needed = itemgetter(*columns), set(columns)
    table = [
        values(r) if r.keys() >= needed else [r.get(c, "<missing>") for c in columns]
        for r in (records[i] for i in expected.index.tolist())
    ]
    counts: dict[str, int] = {}
    shown: list[tuple[int, str]] = []
    for column, written in zip(columns, zip(*table, strict=True), strict=True):
        got = list(written)
        bad = np.flatnonzero(~_agrees(column, got, expected))
        if len(bad):
            counts[column] = len(bad)
            shown += [
                (i, f"{column} = {got[i]!r}, expected {_shown(expected, i, column)}")
                for i in bad[:limit]
            ]
    if counts:
        lines = []
        for i, what in sorted(shown)[:limit]:
            row = expected.iloc[i]
            lines.append(
                f"  {expected.index[i]} ({row['entity_key']}, partition {row['partition']} "
                f"offset {row['offset']}, {pd.Timestamp(row['event_time'], unit='ms')} UTC, late "
                f"{bool(row['late'])}): {what}"
            )
        problems.append(
            f"{sum(counts.values())} values differ, by column: {counts}; the first:\n"
            + "\n".join(lines)
        )
    return problems


def _agrees(column: str, got: list[Any], expected: pd.DataFrame) -> np.ndarray:
    """Per row, whether the written value ``got`` is the expected one (see `column_kind`)."""
    want = expected[column].to_numpy()
    if column in expected.attrs.get("passthrough", ()):  # copied: equal, or both null
        return np.array([g == w for g, w in zip(got, want.tolist(), strict=True)], dtype=bool)
    kind = column_kind(column)
    types = set(map(type, got))
    if kind != "float":
        wanted_type = bool if kind == "bool" else int
        if types == {wanted_type}:
            equal: np.ndarray = np.array(got) == want
            return equal
        pairs = zip(got, want.tolist(), strict=True)
        return np.array([type(g) is wanted_type and g == w for g, w in pairs], dtype=bool)
    want_null = np.isnan(want)
    number = np.array(got, dtype=np.float64) if types <= {float, type(None)} else None
    if number is not None and np.isnan(number).sum() == got.count(None):
        null = np.isnan(number)  # None became NaN, and no float was NaN
    else:  # the slow way: some value is NaN, or not a float at all
        number = np.array([g if type(g) is float else np.nan for g in got], dtype=np.float64)
        null = np.array([g is None for g in got], dtype=bool)
    abs_tol = np.zeros(len(want))
    if column.startswith("std_"):
        # Where the exact value is 0 (the window's values are all equal) a relative
        # tolerance means bit-for-bit, but a mean computed from n equal values can be one
        # rounding away from them, leaving a std of ~1e-16 of their size. So there the
        # tolerance is absolute: 1e-9 of the values' magnitude (the window's max, or mean).
        scale = expected.get(f"max_{column[4:]}", expected.get(f"mean_{column[4:]}"))
        if scale is not None:
            abs_tol = np.where(want == 0.0, 1e-9 * np.abs(scale.to_numpy(np.float64)), 0.0)
    # math.isclose(got, want, rel_tol=1e-9, abs_tol=abs_tol), one column at a time
    with np.errstate(invalid="ignore"):
        bound = np.maximum(1e-9 * np.maximum(np.abs(number), np.abs(want)), abs_tol)
        close = np.abs(number - want) <= bound
    return np.where(want_null, null, close & ~null)


def _shown(expected: pd.DataFrame, i: int, column: str) -> str:
    value = expected[column].iloc[i].item()  # a Python value, not a numpy scalar
    return "None" if isinstance(value, float) and math.isnan(value) else repr(value)


def assert_features_match(
    actual: Iterable[Mapping[str, Any]], expected: pd.DataFrame, limit: int = 15
) -> None:
    """Fail with the first mismatches when the records differ from ``expected``."""
    problems = feature_mismatches(actual, expected, limit)
    assert not problems, "features differ from the brute force:\n" + "\n".join(problems)
