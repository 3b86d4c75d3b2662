"""The statistics of a window's values, defined once so that every path agrees to the bit.

A window's sum is exactly rounded (the exact sum of its values, rounded once), so it does
not depend on the order of the rows or on how they came and went. The standard deviation
(population, divided by n) of a window of more than `LONG` values is exactly rounded too,
from exact integer sums: `running` keeps those sums up to date as rows enter and leave a
busy entity's window, and a window computed from scratch gets the same bits. Shorter
windows use the two-pass formula (the exactly rounded sum of the squared deviations from
the mean), cheaper when there are few values; the native kernel (`streamops_avro.WindowKernel`)
computes them the same way, to the bit.
"""

from __future__ import annotations

import math
from typing import Any

#: Windows of more non-null values than this get the exact standard deviation, and are the
#: ones `running` keeps aggregates of; shorter ones are computed from their rows (by the
#: native kernel where it is built). Below a few hundred rows that is the cheaper way: the
#: running aggregates' integer sums cost more per event than such a window's pass (the
#: benchmark's stream through the features step in one process: 20.6 µs an event at 48,
#: 18.0 at 256).
LONG = 256

#: Every finite double is an integer multiple of 2**-1074: sums of values scaled by 2**1074
#: are exact Python integers.
_SCALE = 1074
_ONE = 1 << _SCALE
_ONE_SQUARED = 1 << (2 * _SCALE)
#: Deviations up to this square and sum (`LONG` of them) far below the largest double.
_HUGE = 2.0**500


def exact(value: float | int) -> tuple[int, int]:
    """``value`` and its square as exact integers, scaled by 2**1074 and 2**2148."""
    numerator, denominator = value.as_integer_ratio()  # denominator: a power of two
    shift = _SCALE + 1 - denominator.bit_length()
    return numerator << shift, (numerator * numerator) << (2 * shift)


def exact_moments(n: int, s1: int, s2: int) -> tuple[float, float, float]:
    """(sum, mean, std) of ``n`` values whose scaled sum is ``s1``, of squares ``s2``."""
    total = s1 / _ONE  # int / int is correctly rounded
    variance = (n * s2 - s1 * s1) / (n * n * _ONE_SQUARED)
    return total, total / n, math.sqrt(variance)


def finite(value: Any) -> bool:
    """Whether a non-null number is finite (exact sums need it)."""
    return isinstance(value, int) or math.isfinite(value)


def numeric_stats(window: list[Any], value: Any) -> tuple[Any, ...]:
    """(sum, mean, std, min, max, value over mean) of the non-null numbers of ``window``."""
    try:
        total = math.fsum(window)  # raises on a null: cheaper than looking for one first
    except TypeError:
        window = [v for v in window if v is not None]
        total = math.fsum(window)
    n = len(window)
    if n == 1:
        only = float(window[0])
        ratio = value / only if value is not None and only else None
        return only, only, 0.0, only, only, ratio
    if n == 0:
        return 0.0, None, None, None, None, None
    low, high = float(min(window)), float(max(window))
    if n > LONG and math.isfinite(total):  # then every value is finite
        s1 = s2 = 0
        for v in window:
            a, b = exact(v)
            s1 += a
            s2 += b
        total, mean, std = exact_moments(n, s1, s2)
    else:
        mean = total / n
        std = two_pass_std(window, mean, max(high - mean, mean - low))
    ratio = value / mean if value is not None and mean else None
    return total, mean, std, low, high, ratio


def two_pass_std(window: list[Any], mean: float, spread: float) -> float:
    """The population standard deviation: the square root of the exactly rounded sum of the
    squared deviations from ``mean``, over the count; ``spread``, the largest deviation,
    decides whether the deviations are first scaled by a power of two (exactly) so that
    their squares cannot overflow. The native kernel computes these bits too."""
    if spread <= _HUGE:
        return math.sqrt(math.fsum([(v - mean) * (v - mean) for v in window]) / len(window))
    if math.isinf(spread):
        return math.inf
    scale = math.ldexp(1.0, -math.frexp(spread)[1])  # spread * scale in [0.5, 1)
    scaled = [(v - mean) * scale for v in window]
    return math.sqrt(math.fsum([d * d for d in scaled]) / len(window)) / scale


def numeric_result(n: int, s1: int, s2: int, low: Any, high: Any, value: Any) -> tuple[Any, ...]:
    """What `numeric_stats` gives for ``n`` > `LONG` finite values known by their sums."""
    total, mean, std = exact_moments(n, s1, s2)
    ratio = value / mean if value is not None and mean else None
    return total, mean, std, float(low), float(high), ratio


def distinct_count(window: list[Any]) -> int:
    """How many different non-null values ``window`` holds."""
    found = set(window)
    return len(found) - (None in found)
