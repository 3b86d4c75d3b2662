"""The demo's timeline: what happened, in stream time and in wall-clock seconds.

Two clocks: the wall clock (seconds since the stream started) and the stream's event time
(hours since its first transaction). The producer's simulated clock ties them: event time
runs ``time_scale`` times faster from the first transaction on. Services stamp what they
decide with the wall clock (a run's start, a promotion); monitoring's alerts carry the
event-time window they judged; the recovery is found in event time.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from streamops_localstack.loop_demo.read import Played
from streamops_localstack.loop_demo.scores import Recovery


@dataclass(frozen=True)
class Clocks:
    """The stream's start on both clocks, and the ratio between them."""

    wall_start: float  #: time.time() when the first transaction was written
    event_start_ms: int  #: its event time
    time_scale: float

    def wall(self, event_ms: int) -> float:
        """Seconds after the start when the stream reached ``event_ms``."""
        return (event_ms - self.event_start_ms) / 1000 / self.time_scale

    def event(self, when: datetime.datetime) -> int:
        """The stream's event time at the wall-clock moment ``when``."""
        seconds = when.timestamp() - self.wall_start
        return self.event_start_ms + round(seconds * self.time_scale * 1000)

    def hours(self, event_ms: int) -> float:
        """Hours of event time since the start."""
        return (event_ms - self.event_start_ms) / 3_600_000


@dataclass(frozen=True)
class Milestone:
    event_ms: int  #: where it falls in the stream
    wall_s: float  #: seconds after the start
    what: str
    detail: str = ""


_STATES = {"OPEN": "opened", "RESOLVED": "resolved", "ACKNOWLEDGED": "acknowledged"}


def _ms(value: datetime.datetime) -> int:
    return int(value.timestamp() * 1000)


def _short(reason: str) -> str:
    """A promotion's reason without its trigger (shown by the run): the gates' verdict."""
    return reason.split(", trigger:", 1)[0]


def milestones(
    played: Played, recovery: Recovery, clocks: Clocks, onset_ms: int
) -> list[Milestone]:
    """Every step of the loop, in stream order: the drift, each alert opened and resolved,
    each training run, each promotion or rollback, the recovery."""
    found = [Milestone(onset_ms, clocks.wall(onset_ms), "drift injected", "new fraud tactics")]
    for alert, written in played.alerts:
        window_end = _ms(alert["window"]["end"])
        state = _STATES.get(alert["state"], alert["state"].lower())
        found.append(
            Milestone(
                window_end,
                written - clocks.wall_start,
                f"{alert['kind']} {state}",
                f"v{alert.get('model_version')}: {alert['statistic']} {alert['value']:.3g} "
                f"(threshold {alert['threshold']:.3g})",
            )
        )
    for run in played.runs:
        trigger = run["trigger"]["kind"]
        version = run.get("model_version")
        began, ended = run["started_at"], run["finished_at"]
        found.append(
            Milestone(
                clocks.event(began),
                began.timestamp() - clocks.wall_start,
                "training started",
                f"trigger {trigger}",
            )
        )
        found.append(
            Milestone(
                clocks.event(ended),
                ended.timestamp() - clocks.wall_start,
                "training finished",
                f"{run['outcome']}" + (f": v{version}" if version else ""),
            )
        )
    for deployment in played.deployments:
        if deployment["action"] not in ("PROMOTE", "ROLLBACK"):
            continue
        decided = deployment["decided_at"]
        found.append(
            Milestone(
                clocks.event(decided),
                decided.timestamp() - clocks.wall_start,
                f"{'promoted' if deployment['action'] == 'PROMOTE' else 'rolled back to'} "
                f"v{deployment['version']}",
                f"by {deployment['actor']}: {_short(deployment['reason'])}",
            )
        )
    back = recovery.recovered
    if back is not None:
        found.append(
            Milestone(
                back.known_ms,
                clocks.wall(back.known_ms),
                "recovered",
                f"{recovery.metric} {back.value:.3f} over the last {recovery.window:,} labelled, "
                f"≥ 90% of {recovery.before:.3f} before the drift",
            )
        )
    return sorted(found, key=lambda m: (m.wall_s, m.event_ms))
