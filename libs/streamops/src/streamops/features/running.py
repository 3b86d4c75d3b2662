"""Running aggregates of an entity's long windows: a busy entity's event costs what changed.

A card with thousands of events a day would otherwise have its whole day of rows summed,
sorted through and counted again for each new event. `RunningWindows` keeps, per window
of more than `LONG` rows, the exact integer sums (`stats.exact`), the sorted values and the
value counts of the rows it covers, and derives a new newest event's statistics from them
and the few rows that leave the window: the same numbers `stats.numeric_stats` gives from
scratch, to the bit, so the path taken never shows in the output.

A window's aggregates cover the rows ``[start, len)`` whose times are after ``after_ms``.
They are kept in step as events are added (`added`); the rows are never evicted while they
live (the service keeps them for one batch, the online view while the rows are unchanged).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from streamops.features.stats import LONG, exact, finite, numeric_result, numeric_stats

Rows = list[list[Any]]


class _Numeric:
    """One number column over a window: non-null count, exact sums, the sorted values."""

    __slots__ = ("broken", "n", "s1", "s2", "values")

    def __init__(self, column: list[Any]) -> None:
        values = [v for v in column if v is not None]
        self.broken = not all(map(finite, values))  # NaN or infinity: computed from scratch
        self.n, self.s1, self.s2 = 0, 0, 0
        if not self.broken:
            for v in values:
                self.add(v, sort=False)
            values.sort()
        self.values = values

    def add(self, value: Any, sort: bool = True) -> None:
        if value is None or self.broken:
            return
        if not finite(value):
            self.broken = True
            return
        a, b = exact(value)
        self.n, self.s1, self.s2 = self.n + 1, self.s1 + a, self.s2 + b
        if sort:
            insort(self.values, value)

    def remove(self, value: Any) -> None:
        if value is None or self.broken:
            return
        a, b = exact(value)
        self.n, self.s1, self.s2 = self.n - 1, self.s1 - a, self.s2 - b
        del self.values[bisect_left(self.values, value)]


class _Window:
    """The aggregates of one window: its first row, the time rows must be after, and per
    column the numbers (`_Numeric`) or the value counts (distinct columns)."""

    __slots__ = ("after_ms", "counts", "numbers", "start")

    def __init__(
        self,
        rows: Rows,
        span: tuple[int, int],
        after_ms: int,
        numeric: list[int],
        distinct: list[int],
    ) -> None:
        start, end = span
        self.start, self.after_ms = start, after_ms
        self.numbers = [_Numeric(rows[c][start:end]) for c in numeric]
        self.counts = [Counter(v for v in rows[c][start:end] if v is not None) for c in distinct]


class RunningWindows:
    """The running aggregates of one entity's long windows (built when first needed)."""

    def __init__(self, windows_ms: Sequence[int], numeric: list[int], distinct: list[int]) -> None:
        self._lengths = windows_ms
        self._windows: list[_Window | None] = [None] * len(windows_ms)
        self._numeric, self._distinct = numeric, distinct
        #: whether any window's aggregates exist (to keep in step as events are added)
        self.live = False

    def stats(
        self, i: int, rows: Rows, start: int, end: int, after_ms: int, values: Sequence[Any]
    ) -> list[Any]:
        """`WindowComputer`'s statistics of window ``i`` for a new newest event (``values``),
        the window being rows ``[start, end)`` (times after ``after_ms``) plus the event."""
        w = self._windows[i]
        if w is None or w.start > start:
            w = _Window(rows, (start, end), after_ms, self._numeric, self._distinct)
            self._windows[i] = w
            self.live = True
        out: list[Any] = []
        for c, numbers in zip(self._numeric, w.numbers, strict=True):
            out += self._numeric_stats(numbers, rows[c], w.start, start, end, values[c - 1])
        for c, counts in zip(self._distinct, w.counts, strict=True):
            value = values[c - 1]
            if w.start == start:  # nothing leaves (the usual case for a long window)
                out.append(len(counts) + (value is not None and value not in counts))
                continue
            leaving = [v for v in rows[c][w.start : start] if v is not None]
            n = len(counts) - sum(1 for v in set(leaving) if counts[v] == leaving.count(v))
            if value is not None and counts.get(value, 0) == leaving.count(value):
                n += 1
            out.append(n)
        return out

    @staticmethod
    def _numeric_stats(
        numbers: _Numeric, column: list[Any], first: int, start: int, end: int, value: Any
    ) -> tuple[Any, ...]:
        leaving = [v for v in column[first:start] if v is not None]
        n, s1, s2 = numbers.n - len(leaving), numbers.s1, numbers.s2
        if numbers.broken or (value is not None and not finite(value)) or n + 1 <= LONG:
            return numeric_stats([*column[start:end], value], value)
        for v in leaving:
            a, b = exact(v)
            s1, s2 = s1 - a, s2 - b
        if value is not None:
            a, b = exact(value)
            n, s1, s2 = n + 1, s1 + a, s2 + b
        if n <= LONG:
            return numeric_stats([*column[start:end], value], value)
        low, high = _extremes(numbers.values, leaving)
        if value is not None:
            low, high = (
                (value if low is None or value < low else low),
                (value if high is None or value > high else high),
            )
        return numeric_result(n, s1, s2, low, high, value)

    def added(
        self, rows: Rows, pos: int, time_ms: int, starts: Sequence[int], newest: bool
    ) -> None:
        """The event now at row ``pos`` joined the rows: keep the aggregates in step.
        ``starts``: each window's first row for it; ``newest``: it came after every row."""
        for i, w in enumerate(self._windows):
            if w is None:
                continue
            if newest:  # the window moves forward to the event: rows leave, it enters
                self._remove(w, rows, starts[i])
                w.start, w.after_ms = starts[i], time_ms - self._lengths[i]
            elif time_ms <= w.after_ms:  # an older event, before the window: it shifts
                w.start += 1
                continue
            for c, numbers in zip(self._numeric, w.numbers, strict=True):
                numbers.add(rows[c][pos])
            for c, counts in zip(self._distinct, w.counts, strict=True):
                if rows[c][pos] is not None:
                    counts[rows[c][pos]] += 1

    def evicting(self, rows: Rows, cut: int) -> None:
        """The first ``cut`` rows are about to be deleted: take them out and shift."""
        for w in self._windows:
            if w is None:
                continue
            if cut > w.start:
                self._remove(w, rows, cut)
                w.start = cut
            w.start -= cut

    def _remove(self, w: _Window, rows: Rows, stop: int) -> None:
        """Take rows ``[w.start, stop)`` out of window ``w``'s aggregates."""
        for c, numbers in zip(self._numeric, w.numbers, strict=True):
            for v in rows[c][w.start : stop]:
                numbers.remove(v)
        for c, counts in zip(self._distinct, w.counts, strict=True):
            for v in rows[c][w.start : stop]:
                if v is not None:
                    counts[v] -= 1
                    if not counts[v]:
                        del counts[v]


def _extremes(values: list[Any], leaving: list[Any]) -> tuple[Any, Any]:
    """The smallest and largest of sorted ``values`` once ``leaving`` (a few) are taken out."""
    if not leaving:
        return (values[0], values[-1]) if values else (None, None)
    return _first_kept(values, list(leaving)), _first_kept(reversed(values), list(leaving))


def _first_kept(values: Iterable[Any], gone: list[Any]) -> Any:
    """The first of ``values`` not in ``gone`` (each of which takes out one equal value)."""
    for v in values:
        if gone and v in gone:
            gone.remove(v)
        else:
            return v
    return None
