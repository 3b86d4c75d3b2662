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
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from streamops.features.definition import Feature, FeatureSet
from streamops.features.running import RunningWindows
from streamops.features.stats import LONG, distinct_count, numeric_stats

try:  # the native kernel of ordinary events, built with the Avro codec (libs/streamops-avro)
    from streamops_avro import WindowKernel as _Kernel
except ImportError:  # not built (no Rust toolchain), or built before it had the kernel
    _Kernel = None  # type: ignore[assignment,misc]

Rows = list[list[Any]]
_HOUR_MS, _DAY_MS = 3_600_000, 86_400_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def event_time_ms(value: Any) -> int:
    """Epoch milliseconds of a decoded timestamp-millis (an aware datetime, or already ms)."""
    if isinstance(value, datetime):
        return round(value.timestamp() * 1000)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(f"not an event time: {value!r}")


def utc_datetime(ms: int) -> datetime:
    """The aware UTC datetime of epoch milliseconds, exactly as fastavro reads a
    timestamp-millis (``fromtimestamp(ms / 1000)`` goes through a float, and is a
    microsecond off for some times from the 25th century on); `event_time_ms` inverts it."""
    return _EPOCH + timedelta(milliseconds=ms)


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
        order = [self._flat_index(f, column) for f in features.features]
        self._order = itemgetter(*order)
        zone = features.spec.timezone
        self.zone = None if zone == "UTC" else ZoneInfo(zone)
        #: computes what `compute` does for an event whose windows hold at most `LONG` rows,
        #: natively (UTC hours only); None where not installed
        self.kernel = (
            None
            if _Kernel is None or self.zone is not None
            else _Kernel(
                list(self.windows),
                self.grace,
                self.horizon,
                self._numeric,
                self._distinct,
                self._event,
                order,
                LONG,
            )
        )

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
        kernel = self.kernel
        if kernel is not None and (running is None or not running.live):
            got = kernel.compute(rows, time_ms, values, watermark_ms, add, passthrough)
            if got is not None:  # else it declined (a long window ...), rows untouched
                return got
        # late: behind the partition's watermark by more than the grace
        late = watermark_ms is not None and time_ms < watermark_ms - self.grace
        times = rows[0]
        pos = bisect_right(times, time_ms)
        newest = pos == len(times)
        if newest:
            times.append(time_ms)
            for i, value in enumerate(values, 1):
                rows[i].append(value)
        else:
            times.insert(pos, time_ms)
            for i, value in enumerate(values, 1):
                rows[i].insert(pos, value)
        floor = None if watermark_ms is None else watermark_ms - self.horizon
        end = pos + 1
        # Per window its count, then its statistics (`_stats`). Windows that start at the
        # same row share them: the windows are shortest first, so such windows are
        # neighbours (a quiet entity's windows often hold the same few events). `_order`
        # then picks each feature from the flat list in output order.
        fast = running is not None and newest and not late
        flat: list[Any] = []
        starts = []
        previous, shared = -1, None
        for i, w in enumerate(self.windows):
            start = time_ms - w
            if floor is not None and floor > start:
                start = floor  # late: what is older than the horizon is gone
            start = bisect_right(times, start, 0, pos)
            starts.append(start)
            flat.append(end - start)
            if start != previous:
                if start == pos:  # the event alone in the window (the usual short window)
                    shared = self._alone(values)
                elif fast and pos - start > LONG:
                    assert running is not None
                    shared = running.stats(i, rows, start, pos, time_ms - w, values)
                else:
                    shared = self._stats(rows, start, end, values)
                previous = start
            flat.extend(shared)  # type: ignore[arg-type]
        flat.extend(self._event_values(times, pos, time_ms, floor))
        flat.extend(passthrough)
        order = self._order(flat)
        out = list(order) if isinstance(order, tuple) else [order]
        if late or not add:
            for column in rows:
                del column[pos]
        elif running is not None and running.live:
            running.added(rows, pos, time_ms, starts, newest)
        return out, late

    def _stats(self, rows: Rows, start: int, end: int, values: Sequence[Any]) -> list[Any]:
        """The statistics of the window of rows ``[start, end)``: per numeric column the six
        of `numeric_stats`, then per distinct column the count of values."""
        if self.kernel is not None:
            got = self.kernel.stats(rows, start, end, values)
            if got is not None:
                return got
        out: list[Any] = []
        for col in self._numeric:
            out += numeric_stats(rows[col][start:end], values[col - 1])
        for col in self._distinct:
            out.append(distinct_count(rows[col][start:end]))
        return out

    def _alone(self, values: Sequence[Any]) -> list[Any]:
        """What `_stats` gives for a window holding one event."""
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

    def _event_values(
        self, times: list[int], pos: int, time_ms: int, floor: int | None
    ) -> list[float | int | None]:
        """The per-event values (`_event`'s functions, in order) of the event at row ``pos``."""
        out: list[float | int | None] = []
        local = None
        for function in self._event:
            if function == "seconds_since_previous":
                if pos == 0 or (floor is not None and times[pos - 1] <= floor):
                    out.append(None)
                else:
                    out.append((time_ms - times[pos - 1]) / 1000.0)
            elif self.zone is None:
                if function == "hour_of_day":
                    out.append((time_ms // _HOUR_MS) % 24)
                else:
                    out.append((time_ms // _DAY_MS + 3) % 7)  # 1970-01-01 was a Thursday
            else:
                if local is None:
                    local = datetime.fromtimestamp(time_ms / 1000, self.zone)
                out.append(local.hour if function == "hour_of_day" else local.weekday())
        return out
