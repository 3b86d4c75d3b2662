"""The pace of `streamops produce fraud`: how --rate, --event-time-rate and --time-scale
combine, and the simulated clock that maps event time onto the wall clock."""

from __future__ import annotations

import pytest

from streamops_examples.fraud.clock import (
    DEFAULT_EVENT_TIME_RATE,
    Pace,
    PaceError,
    SimulatedClock,
    resolve_pace,
)


@pytest.mark.parametrize(
    ("rate", "event_time_rate", "time_scale", "expected"),
    [
        # no time scale: as before
        (None, None, None, Pace(0.0, DEFAULT_EVENT_TIME_RATE, None)),
        (0.0, None, None, Pace(0.0, DEFAULT_EVENT_TIME_RATE, None)),
        (200.0, None, None, Pace(200.0, 200.0, None)),
        (200.0, 5.0, None, Pace(200.0, 5.0, None)),
        (None, 5.0, None, Pace(0.0, 5.0, None)),
        # a time scale: rate = event-time rate x time scale
        (500.0, None, 1440.0, Pace(500.0, 500.0 / 1440.0, 1440.0)),
        (None, 0.5, 1440.0, Pace(720.0, 0.5, 1440.0)),
        (720.0, 0.5, 1440.0, Pace(720.0, 0.5, 1440.0)),
        (None, None, 10.0, Pace(10.0 * DEFAULT_EVENT_TIME_RATE, DEFAULT_EVENT_TIME_RATE, 10.0)),
        (50.0, None, 0.5, Pace(50.0, 100.0, 0.5)),  # slower than real time
    ],
)
def test_rates_and_time_scale_combine(
    rate: float | None, event_time_rate: float | None, time_scale: float | None, expected: Pace
) -> None:
    assert resolve_pace(rate, event_time_rate, time_scale) == expected


def test_a_rounded_event_time_rate_that_agrees_is_accepted() -> None:
    pace = resolve_pace(500.0, 0.3472, 1440.0)  # 500 / 1440 = 0.34722...
    assert pace.event_time_rate == 500.0 / 1440.0


@pytest.mark.parametrize(
    ("rate", "event_time_rate", "time_scale", "message"),
    [
        (
            500.0,
            1.0,
            1440.0,
            "--rate 500 with --time-scale 1440 makes 0.347222 events per event-time second, "
            "but --event-time-rate is 1",
        ),
        (0.0, None, 1440.0, "--rate 0 (as fast as possible) cannot follow"),
        (0.0, 2.0, 1440.0, "--rate 0 (as fast as possible) cannot follow"),
        (100.0, None, 0.0, "--time-scale must be > 0, not 0"),
        (100.0, None, -2.0, "--time-scale must be > 0, not -2"),
        (-1.0, None, None, "--rate must be >= 0, not -1"),
        (None, 0.0, 60.0, "--event-time-rate must be > 0, not 0"),
    ],
)
def test_contradicting_rates_are_refused(
    rate: float | None, event_time_rate: float | None, time_scale: float | None, message: str
) -> None:
    with pytest.raises(PaceError) as caught:
        resolve_pace(rate, event_time_rate, time_scale)
    assert message in str(caught.value)


def test_the_demo_plays_a_day_of_event_time_in_a_minute() -> None:
    # the Makefile's demo: --count 30000 --rate 500 --time-scale 1440
    pace = resolve_pace(500.0, None, 1440.0)
    assert 30_000 / pace.wall_rate == pytest.approx(60.0)
    assert 30_000 / pace.event_time_rate == pytest.approx(86_400.0)


def test_the_simulated_clock_runs_time_scale_times_faster() -> None:
    clock = SimulatedClock(1440.0, start_s=50.0, origin_ms=1_767_225_600_000)
    assert clock.wall_at(1_767_225_600_000) == 50.0
    assert clock.wall_at(1_767_225_600_000 + 86_400_000) == pytest.approx(110.0)  # a day: 60 s
    assert clock.wall_at(1_767_225_600_000 + 3 * 86_400_000) == pytest.approx(230.0)
    assert clock.wall_at(1_767_225_600_000 - 1_440_000) == pytest.approx(49.0)  # before t0
    with pytest.raises(PaceError, match="time scale must be > 0"):
        SimulatedClock(0.0, start_s=0.0, origin_ms=0)
