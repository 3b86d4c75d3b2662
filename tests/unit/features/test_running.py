"""Running aggregates give, to the bit, what a window computed from scratch gives.

Two computers see the same busy entity: one keeps `RunningWindows` (as the service and the
online view do), the other computes every window from its rows. Events come mostly in
order, some within the grace, some late; values include nulls, repeats and a wide range of
magnitudes; rows are evicted between batches as the engine does.
"""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from streamops.features import WindowComputer, feature_set
from streamops.features.compute import evict, new_rows
from streamops.features.stats import LONG, numeric_stats
from streamops.pipeline import load_pipeline
from tests.support.pipelines import FRAUD

MINUTE = 60_000


def _same(a: list[Any], b: list[Any]) -> bool:
    """Equal, and floats equal bit for bit (NaN is NaN, -0.0 is not 0.0)."""
    return len(a) == len(b) and all(
        (x.hex() == y.hex() if isinstance(x, float) and isinstance(y, float) else x == y)
        for x, y in zip(a, b, strict=True)
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_a_busy_entity_computed_with_running_aggregates_matches_from_scratch(seed: int) -> None:
    computer = WindowComputer(feature_set(load_pipeline(FRAUD)))
    rng = random.Random(seed)
    kept, scratch = new_rows(3), new_rows(3)
    running = computer.running()
    watermark: int | None = None
    t = 1_767_225_600_000
    used = 0
    for i in range(1_500):
        t += rng.choice([0, 1_000, 20_000, 45_000, 90_000])  # ~1,400 events a day, some tied
        when = t - rng.choice([0] * 17 + [2 * MINUTE, 4 * MINUTE, 30 * MINUTE])  # 1 in 20 late
        amount = rng.choice([None, 5.0, 5.0, 1e-3, 123.45, 9_999.99, rng.uniform(0, 500)])
        values = [amount, f"m-{rng.randrange(40)}", rng.choice(["FR", "DE", None])]
        ask = i % 7 == 0  # the online view asks about an event without adding it
        passed = [amount, "web", values[2], None]  # amount, channel, country, category
        got, late = computer.compute(kept, when, values, watermark, not ask, running, passed)
        want, late_too = computer.compute(scratch, when, values, watermark, not ask, None, passed)
        assert late == late_too
        assert _same(got, want), (i, got, want)
        assert got[-4:] == passed  # the passthrough values come last, as they came
        used += len(kept[0]) > LONG
        if not late and not ask and (watermark is None or when > watermark):
            watermark = when
        if i % 250 == 249:  # the end of a batch: rows behind the horizon go
            before = watermark - computer.horizon  # type: ignore[operator]
            running.evicting(kept, sum(1 for x in kept[0] if x <= before))
            evict(kept, before)
            evict(scratch, before)
            assert kept == scratch
    assert used > 1_000  # the long windows were exercised


def test_the_exact_standard_deviation_of_equal_values_is_zero() -> None:
    window = [0.1] * (LONG + 1)
    total, mean, std, low, high, ratio = numeric_stats(window, 0.1)
    assert (std, low, high) == (0.0, 0.1, 0.1)
    assert total == math.fsum(window)
    assert ratio == 0.1 / mean


def test_a_long_window_with_a_nan_is_computed_from_scratch() -> None:
    computer = WindowComputer(feature_set(load_pipeline(FRAUD)))
    rows, running = new_rows(3), computer.running()
    t = 1_767_225_600_000
    for i in range(LONG + 5):
        amount = math.nan if i == 3 else float(i)
        computer.compute(
            rows, t + i * 1_000, [amount, "m-1", "FR"], None, True, running, [amount] * 4
        )
    after = t + (LONG + 50) * 1_000  # after every row
    got, _ = computer.compute(rows, after, [1.0, "m-1", "FR"], None, True, running, [0] * 4)
    names = computer.features.names
    assert math.isnan(got[names.index("sum_amount_1d")])
    assert got[names.index("count_1d")] == LONG + 6
