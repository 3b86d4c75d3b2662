"""The statistics of a window's values, defined once so that every path agrees to the bit.

A window's sum is exactly rounded (the exact sum of its values, rounded once), so it does
not depend on the order of the rows or on how they came and went. The standard deviation
(population, divided by n) of a window of more than `LONG` values is exactly rounded too,
from exact integer sums: `running` keeps those sums up to date as rows enter and leave a
busy entity's window, and a window computed from scratch gets the same bits. Shorter
windows use the two-pass formula (deviations from the mean, within an ulp or two), cheaper
when there are few values.
"""

from __future__ import annotations

import math
from typing import Any

#: Windows of more non-null values than this get the exact standard deviation, and are the
#: ones `running` keeps aggregates of.
LONG = 48

#: Every finite double is an integer multiple of 2**-1074: sums of values scaled by 2**1074
#: are exact Python integers.
_SCALE = 1074
_ONE = 1 << _SCALE
_ONE_SQUARED = 1 << (2 * _SCALE)


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
    if n > LONG and math.isfinite(total):  # then every value is finite
        s1 = s2 = 0
        for v in window:
            a, b = exact(v)
            s1 += a
            s2 += b
        total, mean, std = exact_moments(n, s1, s2)
    else:
        mean = total / n
        # sqrt(sum((v - mean)^2)) in C, to within about an ulp: the two-pass formula, fast
        std = math.dist(window, [mean] * n) / math.sqrt(n)
    ratio = value / mean if value is not None and mean else None
    return total, mean, std, float(min(window)), float(max(window)), ratio


def numeric_result(n: int, s1: int, s2: int, low: Any, high: Any, value: Any) -> tuple[Any, ...]:
    """What `numeric_stats` gives for ``n`` > `LONG` finite values known by their sums."""
    total, mean, std = exact_moments(n, s1, s2)
    ratio = value / mean if value is not None and mean else None
    return total, mean, std, float(low), float(high), ratio


def distinct_count(window: list[Any]) -> int:
    """How many different non-null values ``window`` holds."""
    found = set(window)
    return len(found) - (None in found)
