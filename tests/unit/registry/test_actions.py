"""Deciding deployment actions: what is refused, with which message, and the record built."""

from __future__ import annotations

import datetime
import uuid

import pytest

from streamops.registry import ActionRefusedError, UnknownVersionError, decide
from streamops.registry.state import ModelState
from tests.unit.registry.records import MODEL, T0, act, published


def _decide(model: ModelState, action: str, version: int | None, **kwargs: object) -> object:
    return decide(
        model,
        action,  # type: ignore[arg-type]
        version,
        actor=str(kwargs.pop("actor", "alice")),
        reason=str(kwargs.pop("reason", "because")),
        decided_at=T0,
        **kwargs,  # type: ignore[arg-type]
    )


def test_promote_builds_the_audit_record() -> None:
    state = published(1, 2)
    act(state, "PROMOTE", 1)
    record = decide(
        state.model(MODEL),
        "PROMOTE",
        2,
        actor="training",
        reason="v2 beats v1",
        decided_at=T0,
        gates=[{"gate": "onnx_parity", "passed": True}],
        run_id="0190a3c2-5b7e-7000-8000-000000000003",
    )
    assert record["action"] == "PROMOTE" and record["role"] == "CHAMPION"
    assert record["previous_champion_version"] == 1
    assert (record["actor"], record["reason"], record["decided_at"]) == (
        "training",
        "v2 beats v1",
        T0,
    )
    assert record["gates"] == [{"gate": "onnx_parity", "passed": True}]
    assert record["run_id"] == "0190a3c2-5b7e-7000-8000-000000000003"
    assert record["canary_weight"] is None and record["pipeline"] == "fraud"
    uuid.UUID(record["deployment_id"])


def test_deployment_ids_are_derived_from_what_the_event_is_about() -> None:
    state = published(1, 2)
    model = state.model(MODEL)
    first = _decide(model, "PROMOTE", 1)
    assert first == _decide(model, "PROMOTE", 1)  # same decision on the same history
    assert first["deployment_id"] != _decide(model, "PROMOTE", 2)["deployment_id"]  # type: ignore[index]
    assert first["deployment_id"] != _decide(model, "SHADOW", 1)["deployment_id"]  # type: ignore[index]
    act(state, "PROMOTE", 2)
    later = _decide(model, "PROMOTE", 1)  # the same action after more history
    assert later["deployment_id"] != first["deployment_id"]  # type: ignore[index]


@pytest.mark.parametrize("action", ["PROMOTE", "RETIRE", "SHADOW", "CANARY"])
def test_an_unknown_version_is_refused_naming_the_published_ones(action: str) -> None:
    state = published(1, 2)
    act(state, "PROMOTE", 1)
    with pytest.raises(UnknownVersionError, match=r"fraud-gbm has no version 7 .*published: 1, 2"):
        _decide(state.model(MODEL), action, 7, canary_weight=0.1 if action == "CANARY" else None)


def test_rollback_needs_an_earlier_champion() -> None:
    state = published(1, 2)
    with pytest.raises(ActionRefusedError, match="has no champion to roll back from"):
        _decide(state.model(MODEL), "ROLLBACK", None)
    act(state, "PROMOTE", 1)
    with pytest.raises(ActionRefusedError, match="v1 is its first champion: there is no earlier"):
        _decide(state.model(MODEL), "ROLLBACK", None)


def test_rollback_to_a_version_that_never_was_champion_is_refused() -> None:
    state = published(1, 2, 3)
    act(state, "PROMOTE", 1)
    act(state, "PROMOTE", 3)
    model = state.model(MODEL)
    with pytest.raises(
        ActionRefusedError, match=r"v2 is not an earlier champion .*candidates.*: 1"
    ):
        _decide(model, "ROLLBACK", 2)
    with pytest.raises(ActionRefusedError, match="v3 is the champion already"):
        _decide(model, "ROLLBACK", 3)
    with pytest.raises(UnknownVersionError):
        _decide(model, "ROLLBACK", 9)
    assert _decide(model, "ROLLBACK", 1)["version"] == 1  # type: ignore[index]


def test_the_champion_cannot_be_retired_shadowed_canaried_or_promoted_again() -> None:
    state = published(1, 2)
    act(state, "PROMOTE", 1)
    model = state.model(MODEL)
    with pytest.raises(ActionRefusedError, match="v1 is the champion: a model keeps its champion"):
        _decide(model, "RETIRE", 1)
    with pytest.raises(ActionRefusedError, match="v1 is the champion already"):
        _decide(model, "PROMOTE", 1)
    with pytest.raises(ActionRefusedError, match="v1 is the champion: a challenger"):
        _decide(model, "SHADOW", 1)
    with pytest.raises(ActionRefusedError, match="v1 is the champion: a canary"):
        _decide(model, "CANARY", 1, canary_weight=0.5)


def test_retire_twice_is_refused_but_a_replaced_champion_can_be_retired() -> None:
    state = published(1, 2, 3)
    act(state, "PROMOTE", 1)
    act(state, "PROMOTE", 2)
    act(state, "RETIRE", 1)  # RETIRED already by the promotion, but still a rollback target
    with pytest.raises(ActionRefusedError, match="v1 is retired already"):
        _decide(state.model(MODEL), "RETIRE", 1)
    assert _decide(state.model(MODEL), "RETIRE", 3)["role"] == "RETIRED"  # type: ignore[index]


@pytest.mark.parametrize("weight", [None, 0.0, 1.0, 1.5, -0.1])
def test_a_canary_needs_a_weight_in_the_open_unit_interval(weight: float | None) -> None:
    state = published(1, 2)
    act(state, "PROMOTE", 1)
    with pytest.raises(ActionRefusedError, match=r"canary_weight in \(0, 1\)"):
        _decide(state.model(MODEL), "CANARY", 2, canary_weight=weight)


def test_a_canary_needs_a_champion_and_the_weight_is_for_canaries_only() -> None:
    state = published(1, 2)
    with pytest.raises(ActionRefusedError, match="no champion for a canary"):
        _decide(state.model(MODEL), "CANARY", 2, canary_weight=0.1)
    act(state, "PROMOTE", 1)
    with pytest.raises(ActionRefusedError, match="canary_weight is for CANARY only"):
        _decide(state.model(MODEL), "SHADOW", 2, canary_weight=0.1)
    record = _decide(state.model(MODEL), "CANARY", 2, canary_weight=0.1)
    assert (record["role"], record["canary_weight"]) == ("CANARY", 0.1)  # type: ignore[index]


def test_every_event_needs_an_actor_a_reason_and_an_aware_time() -> None:
    state = published(1)
    model = state.model(MODEL)
    with pytest.raises(ActionRefusedError, match="needs an actor and a reason"):
        _decide(model, "PROMOTE", 1, reason="  ")
    with pytest.raises(ActionRefusedError, match="unknown action 'DELETE'"):
        _decide(model, "DELETE", 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(model, "PROMOTE", 1, actor="a", reason="r", decided_at=datetime.datetime(2026, 1, 1))


def test_refresh_is_the_champions_and_keeps_it_champion() -> None:
    state = published(1, 2)
    model = state.model(MODEL)
    with pytest.raises(ActionRefusedError, match="no champion whose reference to refresh"):
        _decide(model, "REFRESH", None)
    act(state, "PROMOTE", 1)
    with pytest.raises(ActionRefusedError, match=r"v2 is not the champion \(v1 is\)"):
        _decide(model, "REFRESH", 2)
    record = _decide(model, "REFRESH", None, run_id="run-7")
    assert (record["version"], record["action"], record["role"]) == (1, "REFRESH", "CHAMPION")  # type: ignore[index]
    assert record["previous_champion_version"] is None and record["run_id"] == "run-7"  # type: ignore[index]
    assert _decide(model, "REFRESH", 1, run_id="run-7") == record  # the champion named: the same
