"""The pace of `streamops produce fraud`, and its simulated clock.

Everything downstream reasons in event time (24 h feature windows, chargebacks days
late). With a time scale N, event time runs N times faster than the wall clock: an event
of event time t is produced at wall time ``start + (t - t0) / N`` (t0: the first event's
time), and a chargeback, whose ``label_time`` is its event time plus its real delay, when
the simulated clock reaches ``label_time``. So a day of event time, label delays
included, passes in 1/N of a day (N = 1440: a minute), and ``label_time - event_time``
is still the true delay.

The three rates are tied by ``wall rate = event-time rate x time scale``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Events per second of event time when no rate says otherwise.
DEFAULT_EVENT_TIME_RATE = 100.0
#: How closely a given event-time rate must match rate / time scale (relative).
_AGREEMENT = 1e-3


class PaceError(ValueError):
    """Rates and a time scale that contradict each other or cannot be paced."""


@dataclass(frozen=True)
class Pace:
    """How fast a run goes, once the options are resolved (`resolve_pace`)."""

    wall_rate: float = 0.0  # events per wall-clock second; 0: as fast as possible
    event_time_rate: float = DEFAULT_EVENT_TIME_RATE  # events per event-time second
    time_scale: float | None = None  # None: no simulated clock


def resolve_pace(
    rate: float | None, event_time_rate: float | None, time_scale: float | None
) -> Pace:
    """The pace that ``--rate``, ``--event-time-rate`` and ``--time-scale`` (None: not
    given) ask for.

    Without a time scale, the wall rate is ``rate`` (none or 0: as fast as possible) and
    the event-time rate defaults to it (or to 100). With one, two of the three determine
    the third (the event-time rate defaults to 100 when only the time scale is given);
    all three must agree, and a wall rate of 0 has no clock to follow.
    """
    if rate is not None and rate < 0:
        raise PaceError(f"--rate must be >= 0, not {rate:g}")
    if event_time_rate is not None and event_time_rate <= 0:
        raise PaceError(f"--event-time-rate must be > 0, not {event_time_rate:g}")
    if time_scale is None:
        wall = rate or 0.0
        return Pace(wall, event_time_rate or wall or DEFAULT_EVENT_TIME_RATE)
    if time_scale <= 0:
        raise PaceError(f"--time-scale must be > 0, not {time_scale:g}")
    if rate == 0:
        raise PaceError(
            "--rate 0 (as fast as possible) cannot follow the simulated clock of "
            "--time-scale: give a rate above 0, or --event-time-rate instead, or no "
            "--time-scale"
        )
    if rate is None:
        per_event_s = event_time_rate or DEFAULT_EVENT_TIME_RATE
        return Pace(per_event_s * time_scale, per_event_s, time_scale)
    implied = rate / time_scale
    if event_time_rate is not None and not math.isclose(
        implied, event_time_rate, rel_tol=_AGREEMENT
    ):
        raise PaceError(
            f"--rate {rate:g} with --time-scale {time_scale:g} makes {implied:.6g} events "
            f"per event-time second, but --event-time-rate is {event_time_rate:g} "
            "(rate = event-time rate x time scale): give two of the three"
        )
    return Pace(rate, implied, time_scale)


class SimulatedClock:
    """Event time on the wall clock: event time ``origin_ms`` is wall time ``start_s``
    (monotonic seconds), and event time runs ``time_scale`` times faster from there."""

    def __init__(self, time_scale: float, start_s: float, origin_ms: int) -> None:
        if time_scale <= 0:
            raise PaceError(f"the time scale must be > 0, not {time_scale:g}")
        self.time_scale = time_scale
        self.start_s = start_s
        self.origin_ms = origin_ms

    def wall_at(self, event_ms: int) -> float:
        """The wall time (monotonic seconds) at which the clock reaches ``event_ms``."""
        return self.start_s + (event_ms - self.origin_ms) / 1000.0 / self.time_scale
