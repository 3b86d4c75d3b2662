"""The one implementation of the window features: the service and the online view run it.

An entity's state (its *rows*) is a list ``[times, column, column, ...]``: the event times
of its events, sorted, and beside them the values of the fields the features read
(`FeatureSet.fields`), as msgpack stores them. `WindowComputer.compute` places a new event
among the rows and computes its vector; the definitions, which a brute-force test
re-implements, are in services/features/README.md ("What a feature means").
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from streamops.features.definition import Feature, FeatureSet
from streamops.features.running import RunningWindows
from streamops.features.stats import LONG, distinct_count, numeric_stats

Rows = list[list[Any]]
_HOUR_MS, _DAY_MS = 3_600_000, 86_400_000


def event_time_ms(value: Any) -> int:
    """Epoch milliseconds of a decoded timestamp-millis (an aware datetime, or already ms)."""
    if isinstance(value, datetime):
        return round(value.timestamp() * 1000)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(f"not an event time: {value!r}")


def new_rows(fields: int) -> Rows:
    """The state of an entity with no events yet."""
    return [[] for _ in range(fields + 1)]


def evict(rows: Rows, before_ms: int) -> None:
    """Drop the rows at or before ``before_ms``: no later computation can read them."""
    cut = bisect_right(rows[0], before_ms)
    if cut:
        for column in rows:
            del column[:cut]


_NUMERIC = ("sum", "mean", "std", "min", "max", "ratio_to_mean")


class WindowComputer:
    """Computes feature vectors of one `FeatureSet` against an entity's rows."""

    def __init__(self, features: FeatureSet) -> None:
        self.features = features
        self.windows = features.windows_ms
        self.grace = features.grace_ms
        self.horizon = features.horizon_ms
        self.columns = len(features.fields)
        # compute() makes one flat list: per window the count, the 6 `numeric_stats` of
        # each numeric column, the distinct count of each other column; then the per-event
        # values. `_order` picks the features from it in output order.
        column = {name: i + 1 for i, name in enumerate(features.fields)}
        numeric = {a.field for a in features.spec.aggregates if a.numeric}
        self._numeric = [column[f] for f in features.fields if f in numeric]
        self._distinct = [
            column[f]
            for f in features.fields
            if any(a.function == "distinct" and a.field == f for a in features.spec.aggregates)
        ]
        self._event = [
            f.function
            for f in features.features
            if f.window_ms is None and f.function != "passthrough"
        ]
        self._passthrough = list(features.spec.passthrough)
        self._order = itemgetter(*[self._flat_index(f, column) for f in features.features])
        zone = features.spec.timezone
        self.zone = None if zone == "UTC" else ZoneInfo(zone)

    def _flat_index(self, feature: Feature, column: dict[str, int]) -> int:
        """Where ``feature`` sits in the flat list `compute` builds."""
        per_window = 1 + 6 * len(self._numeric) + len(self._distinct)
        if feature.function == "passthrough":
            return (
                per_window * len(self.windows)
                + len(self._event)
                + self._passthrough.index(feature.name)
            )
        if feature.window_ms is None:
            return per_window * len(self.windows) + self._event.index(feature.function)
        base = per_window * self.windows.index(feature.window_ms)
        if feature.function == "count":
            return base
        col = column[feature.field or ""]
        if feature.function == "distinct":
            return base + 1 + 6 * len(self._numeric) + self._distinct.index(col)
        return base + 1 + 6 * self._numeric.index(col) + _NUMERIC.index(feature.function)

    def is_late(self, time_ms: int, watermark_ms: int | None) -> bool:
        """Whether an event of ``time_ms`` is behind the partition's watermark by more than
        the grace: it is then computed against the current state but not added to it."""
        return watermark_ms is not None and time_ms < watermark_ms - self.grace

    def running(self) -> RunningWindows:
        """Empty running aggregates for one entity's rows, to pass to `compute`."""
        return RunningWindows(self.windows, self._numeric, self._distinct)

    def compute(
        self,
        rows: Rows,
        time_ms: int,
        values: Sequence[Any],
        watermark_ms: int | None,
        add: bool = True,
        running: RunningWindows | None = None,
        passthrough: Sequence[Any] = (),
    ) -> tuple[list[Any], bool]:
        """The vector of an event (its time, its values of `FeatureSet.fields`, and of the
        passthrough fields) and whether it is late. ``watermark_ms`` is its partition's
        newest event time before it.

        With ``add`` an event on time is added to ``rows`` (the service); a late one, or any
        without ``add`` (the online view asking about an event it has not seen), leaves
        them as they were. ``running`` (from `running`, kept with the rows while they change
        only through this method) makes a busy entity's long windows cheap.
        """
        late = self.is_late(time_ms, watermark_ms)
        times = rows[0]
        pos = bisect_right(times, time_ms)
        newest = pos == len(times)
        if newest:
            for column, value in zip(rows, (time_ms, *values), strict=True):
                column.append(value)
        else:
            for column, value in zip(rows, (time_ms, *values), strict=True):
                column.insert(pos, value)
        floor = None if watermark_ms is None else watermark_ms - self.horizon
        starts = []
        for w in self.windows:
            start = time_ms - w
            if floor is not None and floor > start:
                start = floor  # late: what is older than the horizon is gone
            starts.append(bisect_right(times, start, 0, pos))
        end = pos + 1
        # One pass per (column, first row): windows that start at the same row share it (a
        # quiet entity's windows often hold the same few events). `_order` then picks each
        # feature from the concatenation of what the passes returned.
        fast = running is not None and newest and not late
        done: dict[tuple[int, int], tuple[Any, ...]] = {}
        flat: list[Any] = []
        alone: list[Any] | None = None
        for i, start in enumerate(starts):
            flat.append(end - start)
            if start == pos:  # the event alone in the window (the usual short window)
                if alone is None:
                    alone = self._alone(values)
                flat.extend(alone)
                continue
            if fast and pos - start > LONG:
                assert running is not None
                flat.extend(running.stats(i, rows, start, pos, time_ms - self.windows[i], values))
                continue
            for col in self._numeric:
                got = done.get((col, start))
                if got is None:
                    got = done[(col, start)] = numeric_stats(rows[col][start:end], values[col - 1])
                flat.extend(got)
            for col in self._distinct:
                got = done.get((-col, start))
                if got is None:
                    got = done[(-col, start)] = (distinct_count(rows[col][start:end]),)
                flat.extend(got)
        for function in self._event:
            flat.append(self._event_value(function, times, pos, time_ms, floor))
        flat.extend(passthrough)
        order = self._order(flat)
        out = list(order) if isinstance(order, tuple) else [order]
        if late or not add:
            for column in rows:
                del column[pos]
        elif running is not None:
            running.added(rows, pos, time_ms, starts, newest)
        return out, late

    def _alone(self, values: Sequence[Any]) -> list[Any]:
        """What `numeric_stats` and `distinct_count` give for a window holding one event."""
        out: list[Any] = []
        for col in self._numeric:
            value = values[col - 1]
            if value is None:
                out += (0.0, None, None, None, None, None)
            else:
                only = float(value)
                out += (only, only, 0.0, only, only, value / only if only else None)
        out += [int(values[col - 1] is not None) for col in self._distinct]
        return out

    def _event_value(
        self, function: str, times: list[int], pos: int, time_ms: int, floor: int | None
    ) -> float | int | None:
        if function == "seconds_since_previous":
            if pos == 0 or (floor is not None and times[pos - 1] <= floor):
                return None
            return (time_ms - times[pos - 1]) / 1000.0
        if self.zone is None:
            if function == "hour_of_day":
                return (time_ms // _HOUR_MS) % 24
            return (time_ms // _DAY_MS + 3) % 7  # 1970-01-01 was a Thursday
        local = datetime.fromtimestamp(time_ms / 1000, self.zone)
        return local.hour if function == "hour_of_day" else local.weekday()
