"""Which champion is on probation, from when: one a PROMOTE put over another version, on the
events from the promotion's event time (or its training window's end, if it has none)."""

from __future__ import annotations

import datetime
from typing import Any

from streamops.registry.state import ModelState
from streamops_training.probation import OnProbation, on_probation

END = datetime.datetime(2026, 1, 1, 6, tzinfo=datetime.UTC)


def _model(
    champion: int | None,
    *history: tuple[str, int, int | None],
    event_time: datetime.datetime | None = None,
) -> ModelState:
    """Versions 1-3, version v's training window ending v hours after END; the decisions
    of ``history``, the last one at ``event_time``."""
    versions: dict[int, Any] = {
        v: {"version": v, "training_window": {"end": END + datetime.timedelta(hours=v)}}
        for v in (1, 2, 3)
    }
    decisions: list[Any] = [
        {"action": action, "version": version, "previous_champion_version": previous}
        for action, version, previous in history
    ]
    if decisions:
        decisions[-1]["event_time"] = event_time
    return ModelState(name="m", versions=versions, champion=champion, history=decisions)


def _ms(at: datetime.datetime) -> int:
    return int(at.timestamp() * 1000)


def test_a_version_promoted_over_a_champion_is_judged_on_the_events_after_its_promotion() -> None:
    promoted = END + datetime.timedelta(hours=2, minutes=50)  # the fit took event time
    model = _model(2, ("PROMOTE", 1, None), ("PROMOTE", 2, 1), event_time=promoted)
    found = on_probation(model)
    assert found == OnProbation(version=2, previous=1, since_ms=_ms(promoted))
    assert found.since == "after its promotion"


def test_a_promotion_without_an_event_time_is_judged_from_its_training_window() -> None:
    """A PROMOTE written before the field, or on an empty features topic: the end of the
    version's training window, said so."""
    found = on_probation(_model(2, ("PROMOTE", 1, None), ("PROMOTE", 2, 1)))
    window_end = _ms(END + datetime.timedelta(hours=2))
    assert found == OnProbation(2, 1, window_end, since_promotion=False)
    assert found.since == "after its training window"


def test_a_first_champion_a_rollback_and_a_shadow_put_nothing_on_probation() -> None:
    assert on_probation(_model(1, ("PROMOTE", 1, None))) is None
    rolled = _model(1, ("PROMOTE", 1, None), ("PROMOTE", 2, 1), ("ROLLBACK", 1, 2))
    assert on_probation(rolled) is None
    shadowed = _model(2, ("PROMOTE", 1, None), ("PROMOTE", 2, 1), ("SHADOW", 3, None))
    found = on_probation(shadowed)  # a challenger beside it changes nothing
    assert found is not None and (found.version, found.previous) == (2, 1)
    assert on_probation(_model(None)) is None
