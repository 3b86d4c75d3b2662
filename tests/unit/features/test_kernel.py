"""The native window kernel (`streamops_avro.WindowKernel`) gives, to the bit, what
`WindowComputer.compute` gives in Python, or declines and leaves the rows as they were.

Entities of a few to a few hundred rows with tied and out-of-order times, nulls, repeated
values, signed zeros and magnitudes from 1e-300 to 1e300 (sums whose rounding needs every
partial); events before, among and after the rows, on time, within the grace and late;
asked about (the online view) or added (the service).
"""

from __future__ import annotations

import copy
import os
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip(
    "streamops_avro",
    reason="the native codec and kernel (streamops-avro) are not installed (make setup "
    "skips them without cargo): nothing to compare with Python",
)

from streamops.features import WindowComputer, feature_set
from streamops.features.compute import new_rows
from streamops.features.stats import LONG
from streamops.pipeline import load_pipeline
from streamops_avro import WindowKernel
from tests.support.pipelines import FRAUD

T0 = 1_767_225_600_000
#: CI runs the same examples every time, as the codec's tests do
EXAMPLES = settings(
    derandomize=os.environ.get("CI") == "true",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
MINUTE = 60_000
AMOUNTS = st.one_of(
    st.none(),
    st.sampled_from([0.0, -0.0, 1.0, 0.1, 5.0, 1e16, -1e16, 1e-16, 123.45, 1e300, -1e300]),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300),
)
IDS = st.one_of(st.none(), st.sampled_from(["m-1", "m-2", "m-3", "é", "m-1 ", ""]))
COUNTRIES = st.one_of(st.none(), st.sampled_from(["FR", "DE", "US"]))


def _same(a: Any, b: Any) -> bool:
    """Equal, and floats equal bit for bit (-0.0 is not 0.0); ints are not floats."""
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is not type(b):
        return False
    return a.hex() == b.hex() if isinstance(a, float) else bool(a == b)


@pytest.fixture(scope="module")
def computers() -> tuple[WindowComputer, WindowComputer]:
    """The same features twice: with the kernel, and in Python alone."""
    native = WindowComputer(feature_set(load_pipeline(FRAUD)))
    python = WindowComputer(feature_set(load_pipeline(FRAUD)))
    python.kernel = None
    assert native.kernel is not None
    return native, python


@pytest.fixture
def kernel(computers: tuple[WindowComputer, WindowComputer]) -> WindowKernel:
    assert computers[0].kernel is not None
    return computers[0].kernel


#: what the fraud spec passes through (amount, channel, country, category)
PASSTHROUGH = (1.0, "web", "FR", None)


@st.composite
def _entity(draw: st.DrawFn, most: int = 80) -> list[list[Any]]:
    """Rows as `WindowComputer` keeps them: times sorted, columns amount, merchant, country."""
    count = draw(st.integers(0, most))
    offsets = draw(st.lists(st.integers(0, 30 * 60), min_size=count, max_size=count))
    rows = new_rows(3)
    t = T0
    for gap in offsets:
        t += gap * 1_000 if gap % 7 else 0  # ties too
        rows[0].append(t)
        rows[1].append(draw(AMOUNTS))
        rows[2].append(draw(IDS))
        rows[3].append(draw(COUNTRIES))
    return rows


@settings(EXAMPLES, max_examples=400)
@given(
    rows=_entity(),
    shift=st.integers(-30 * 3600, 3 * 3600),
    values=st.tuples(AMOUNTS, IDS, COUNTRIES),
    behind=st.one_of(st.none(), st.integers(-600, 7200)),
    add=st.booleans(),
)
def test_the_kernel_computes_what_python_computes(
    computers: tuple[WindowComputer, WindowComputer],
    rows: list[list[Any]],
    shift: int,
    values: tuple[Any, Any, Any],
    behind: int | None,
    add: bool,
) -> None:
    native, python = computers
    newest = rows[0][-1] if rows[0] else T0
    time_ms = newest + shift * 1_000
    # the partition's newest event: the event is on time, within the grace or late
    watermark = None if behind is None else time_ms + behind * 1_000
    passthrough = (values[0], "web", values[2], None)
    kernel = native.kernel
    assert kernel is not None
    mine, theirs, whole = copy.deepcopy(rows), copy.deepcopy(rows), copy.deepcopy(rows)
    got = kernel.compute(mine, time_ms, values, watermark, add, passthrough)
    want = python.compute(theirs, time_ms, values, watermark, add, None, passthrough)
    # the computer with its kernel (which falls back to Python where it declines)
    assert _same(native.compute(whole, time_ms, values, watermark, add, None, passthrough), want)
    assert _same(whole, theirs)
    if got is None:  # declined: the rows are as they were
        assert _same(mine, rows)
    else:
        assert _same(got, want), (got, want)
        assert _same(mine, theirs)  # the event added, or not, as Python does


@settings(EXAMPLES, max_examples=300)
@given(rows=_entity(most=300), data=st.data())
def test_the_kernels_window_statistics_are_pythons(
    computers: tuple[WindowComputer, WindowComputer], rows: list[list[Any]], data: st.DataObject
) -> None:
    native, python = computers
    length = len(rows[0])
    if not length:
        return
    start = data.draw(st.integers(0, length - 1))
    stop = data.draw(st.integers(start + 1, length))
    values = (rows[1][stop - 1], rows[2][stop - 1], rows[3][stop - 1])
    got = native.kernel.stats(rows, start, stop, values)  # type: ignore[union-attr]
    want = python._stats(rows, start, stop, values)
    if stop - start > LONG:
        assert got is None  # exact moments: Python's
    else:
        assert got is not None and _same(got, want), (got, want)


def test_sums_that_need_every_partial_are_rounded_as_fsum_rounds_them(
    computers: tuple[WindowComputer, WindowComputer],
) -> None:
    native, python = computers
    for amounts in (
        [1e16, 1.0, 1e-16],
        [0.1] * 10,
        [1e100, 1.0, -1e100, 1e-100],
        [2.0**53, 1.0, 1.0],
        [1.0, 2.0**-53, 2.0**-106],
        [-0.0, -0.0],
        [0.0, -0.0],
    ):
        rows = new_rows(3)
        for i, amount in enumerate(amounts):
            rows[0].append(T0 + i)
            rows[1].append(amount)
            rows[2].append("m")
            rows[3].append("FR")
        values = (amounts[-1], "m", "FR")
        got = native.kernel.stats(rows, 0, len(amounts), values)  # type: ignore[union-attr]
        assert got is not None and _same(got, python._stats(rows, 0, len(amounts), values))


@pytest.mark.parametrize(
    ("amount", "merchant", "why"),
    [
        (float("nan"), "m", "not finite"),
        (float("inf"), "m", "not finite"),
        (5, "m", "an int, which Python's float() and fsum convert"),
        (5.0, 7, "a distinct value that is not a str"),
        (5.0, "\ud800", "a str without UTF-8 (a lone surrogate)"),
    ],
)
def test_values_it_cannot_vouch_for_are_declined_and_the_rows_untouched(
    computers: tuple[WindowComputer, WindowComputer], amount: Any, merchant: Any, why: str
) -> None:
    native, python = computers
    rows = new_rows(3)
    for i in range(3):
        rows[0].append(T0 + i * MINUTE)
        rows[1].append(1.0)
        rows[2].append("m")
        rows[3].append("FR")
    before = copy.deepcopy(rows)
    values, passthrough = (amount, merchant, "FR"), (amount, "web", "FR", None)
    kernel, when = native.kernel, T0 + 5 * MINUTE
    assert kernel is not None
    assert kernel.compute(rows, when, values, None, True, passthrough) is None, why
    assert _same(rows, before)
    # and the computer, which falls back to Python, still gives Python's vector
    vector, late = native.compute(rows, when, values, None, True, None, passthrough)
    expected, _ = python.compute(copy.deepcopy(before), when, values, None, True, None, passthrough)
    assert _same(vector, expected) and not late


def test_a_window_longer_than_long_is_left_to_python(kernel: WindowKernel) -> None:
    passthrough = PASSTHROUGH
    rows = new_rows(3)
    for i in range(LONG - 1):
        rows[0].append(T0 + i * 1_000)
        rows[1].append(float(i))
        rows[2].append(f"m-{i % 9}")
        rows[3].append("FR")
    later = T0 + LONG * 1_000  # the day's window holds the rows and the event: LONG
    assert kernel.compute(rows, later, (1.0, "m", "FR"), None, True, passthrough) is not None
    before = copy.deepcopy(rows)  # now LONG rows: the next event's window holds LONG + 1
    assert kernel.compute(rows, later + 1, (1.0, "m", "FR"), None, True, passthrough) is None
    assert _same(rows, before)


def test_a_time_zone_other_than_utc_leaves_the_computation_to_python() -> None:
    features = feature_set(load_pipeline(FRAUD))
    spec = features.spec.model_copy(update={"timezone": "Europe/Paris"})
    assert WindowComputer(replace(features, spec=spec)).kernel is None


def test_an_ordinary_entity_is_computed_by_the_kernel(
    computers: tuple[WindowComputer, WindowComputer],
) -> None:
    native, python = computers
    assert native.kernel is not None
    rows = new_rows(3)
    for i in range(40):  # a card's day: 40 payments, a few merchants, two countries
        rows[0].append(T0 + i * 30 * MINUTE)
        rows[1].append(round(3.7 * i + 0.01, 2))
        rows[2].append(f"m-{i % 6}")
        rows[3].append("FR" if i % 5 else "DE")
    when, values, passthrough = (
        T0 + 40 * 30 * MINUTE,
        (12.5, "m-9", "FR"),
        (12.5, "web", "FR", None),
    )
    theirs = copy.deepcopy(rows)
    got = native.kernel.compute(rows, when, values, when - MINUTE, True, passthrough)
    assert got is not None
    assert _same(got, python.compute(theirs, when, values, when - MINUTE, True, None, passthrough))
    assert _same(rows, theirs) and rows[0][-1] == when


def test_times_beyond_what_its_arithmetic_takes_are_left_to_python(kernel: WindowKernel) -> None:
    rows = new_rows(3)
    for when, watermark in ((2**61, None), (T0, 2**62), (-(2**61), None)):
        assert kernel.compute(rows, when, (1.0, "m", "FR"), watermark, True, PASSTHROUGH) is None
        assert rows == new_rows(3)


def test_a_layout_it_cannot_compute_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="counted from 1"):
        WindowKernel([600_000], 0, 600_000, [0], [], [], [0], LONG)
    with pytest.raises(ValueError, match="between 0 and 2\\^50"):
        WindowKernel([-1], 0, 600_000, [1], [], [], [0], LONG)
    with pytest.raises(ValueError, match='no per-event value "minute"'):
        WindowKernel([600_000], 0, 600_000, [1], [], ["minute"], [0], LONG)
