"""Which champion is on probation: one a PROMOTE put over another version."""

from __future__ import annotations

import datetime
from typing import Any

from streamops.registry.state import ModelState
from streamops_training.probation import OnProbation, on_probation

END = datetime.datetime(2026, 1, 1, 6, tzinfo=datetime.UTC)


def _model(champion: int | None, *history: tuple[str, int, int | None]) -> ModelState:
    versions: dict[int, Any] = {
        v: {"version": v, "training_window": {"end": END + datetime.timedelta(hours=v)}}
        for v in (1, 2, 3)
    }
    decisions: list[Any] = [
        {"action": action, "version": version, "previous_champion_version": previous}
        for action, version, previous in history
    ]
    return ModelState(name="m", versions=versions, champion=champion, history=decisions)


def test_a_version_promoted_over_a_champion_is_on_probation_from_its_training_window() -> None:
    model = _model(2, ("PROMOTE", 1, None), ("PROMOTE", 2, 1))
    since = int((END + datetime.timedelta(hours=2)).timestamp() * 1000)
    assert on_probation(model) == OnProbation(version=2, previous=1, since_ms=since)


def test_a_first_champion_a_rollback_and_a_shadow_put_nothing_on_probation() -> None:
    assert on_probation(_model(1, ("PROMOTE", 1, None))) is None
    rolled = _model(1, ("PROMOTE", 1, None), ("PROMOTE", 2, 1), ("ROLLBACK", 1, 2))
    assert on_probation(rolled) is None
    shadowed = _model(2, ("PROMOTE", 1, None), ("PROMOTE", 2, 1), ("SHADOW", 3, None))
    found = on_probation(shadowed)  # a challenger beside it changes nothing
    assert found is not None and (found.version, found.previous) == (2, 1)
    assert on_probation(_model(None)) is None
