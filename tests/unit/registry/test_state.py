"""Rebuilding a model's roles and history from registry records, in log order."""

from __future__ import annotations

import copy

from streamops.registry import RegistryState
from tests.unit.registry.records import MODEL, act, published, version


def _replay(records: list[tuple[str, object]]) -> RegistryState:
    """A fresh reader applying the same records in the same order."""
    state = RegistryState()
    for kind, record in records:
        if kind == "version":
            state.apply_version(copy.deepcopy(record))  # type: ignore[arg-type]
        else:
            state.apply_deployment(copy.deepcopy(record))  # type: ignore[arg-type]
    return state


def test_versions_without_deployments_have_no_roles() -> None:
    model = published(1, 2).model(MODEL)
    assert sorted(model.versions) == [1, 2] and model.latest_version == 2
    assert (model.champion, model.challenger, model.canary) == (None, None, None)
    assert model.role(1) is None and model.history == []


def test_promotions_retire_the_old_champion_and_remember_it_for_rollback() -> None:
    state = published(1, 2, 3)
    act(state, "PROMOTE", 1)
    act(state, "PROMOTE", 2)
    act(state, "PROMOTE", 3)
    model = state.model(MODEL)
    assert model.champion == 3
    assert model.previous_champions == [1, 2] and model.rollback_target == 2
    assert [model.role(v) for v in (1, 2, 3)] == ["RETIRED", "RETIRED", "CHAMPION"]


def test_rollbacks_walk_back_and_forget_the_bad_champions() -> None:
    state = published(1, 2, 3)
    for v in (1, 2, 3):
        act(state, "PROMOTE", v)
    rollback = act(state, "ROLLBACK", None)
    model = state.model(MODEL)
    assert (rollback["version"], rollback["previous_champion_version"]) == (2, 3)
    assert model.champion == 2 and model.previous_champions == [1]
    act(state, "ROLLBACK", None)
    assert model.champion == 1 and model.previous_champions == []
    assert model.role(3) == "RETIRED" and model.role(2) == "RETIRED"


def test_rollback_to_a_named_version_skips_those_in_between() -> None:
    state = published(1, 2, 3)
    for v in (1, 2, 3):
        act(state, "PROMOTE", v)
    act(state, "ROLLBACK", 1)
    model = state.model(MODEL)
    assert model.champion == 1 and model.previous_champions == []


def test_shadow_and_canary_are_one_version_each_and_one_role_per_version() -> None:
    state = published(1, 2, 3)
    act(state, "PROMOTE", 1)
    act(state, "SHADOW", 2)
    act(state, "CANARY", 3, weight=0.1)
    model = state.model(MODEL)
    assert (model.challenger, model.canary, model.canary_weight) == (2, 3, 0.1)
    act(state, "CANARY", 2, weight=0.25)  # the challenger moves to canary
    assert (model.challenger, model.canary, model.canary_weight) == (None, 2, 0.25)
    assert model.role(3) is None
    act(state, "PROMOTE", 2)  # a promoted canary is the champion, and no canary is left
    assert (model.champion, model.canary, model.canary_weight) == (2, None, None)
    assert model.previous_champions == [1]


def test_retire_ends_a_role_and_a_rollback_target() -> None:
    state = published(1, 2, 3)
    act(state, "PROMOTE", 1)
    act(state, "PROMOTE", 2)
    act(state, "SHADOW", 3)
    act(state, "RETIRE", 3)
    act(state, "RETIRE", 1)  # the replaced champion: no rollback to it any more
    model = state.model(MODEL)
    assert model.challenger is None and model.role(3) == "RETIRED"
    assert model.previous_champions == [] and model.rollback_target is None
    assert model.champion == 2


def test_a_fresh_reader_rebuilds_the_same_state_and_history_from_the_same_records() -> None:
    state = published(1, 2, 3)
    log: list[tuple[str, object]] = [("version", version(v)) for v in (1, 2, 3)]
    for action, v, weight in [
        ("PROMOTE", 1, None),
        ("SHADOW", 2, None),
        ("PROMOTE", 2, None),
        ("CANARY", 3, 0.2),
        ("ROLLBACK", None, None),
    ]:
        log.append(("deployment", act(state, action, v, weight=weight)))  # type: ignore[arg-type]
    rebuilt = _replay(log).model(MODEL)
    original = state.model(MODEL)
    assert rebuilt.history == original.history
    assert [d["action"] for d in rebuilt.history] == [
        "PROMOTE",
        "SHADOW",
        "PROMOTE",
        "CANARY",
        "ROLLBACK",
    ]
    assert (rebuilt.champion, rebuilt.challenger, rebuilt.canary) == (1, None, 3)
    assert (rebuilt.canary_weight, rebuilt.previous_champions) == (0.2, [])
    assert rebuilt.deployments_of(2) == [d for d in original.history if d["version"] == 2]


def test_a_duplicate_event_is_applied_once() -> None:
    state = published(1, 2)
    first = act(state, "PROMOTE", 1)
    act(state, "PROMOTE", 2)
    assert not state.apply_deployment(copy.deepcopy(first))  # e.g. a retried write
    model = state.model(MODEL)
    assert model.champion == 2 and len(model.history) == 2


def test_the_log_wins_over_the_rules_when_replayed() -> None:
    """Two operators decided at once: both events are in the log, applied in its order."""
    state = published(1, 2)
    promote_1 = act(state, "PROMOTE", 1)
    retire_1 = {**promote_1, "deployment_id": "other", "action": "RETIRE", "role": "RETIRED"}
    assert state.apply_deployment(retire_1)  # type: ignore[arg-type]
    model = state.model(MODEL)
    assert model.champion is None and model.role(1) == "RETIRED"


def test_an_action_from_a_newer_writer_is_kept_in_history_and_changes_nothing() -> None:
    state = published(1)
    promote = act(state, "PROMOTE", 1)
    unknown = {**promote, "deployment_id": "newer", "action": "UNKNOWN", "role": "UNKNOWN"}
    assert state.apply_deployment(unknown)  # type: ignore[arg-type]
    model = state.model(MODEL)
    assert model.champion == 1 and model.history[-1]["action"] == "UNKNOWN"


def test_versions_keep_metadata_only_and_a_republication_replaces_them() -> None:
    state = RegistryState()
    legacy = {**version(1), "onnx_model": b"inline bytes", "onnx_chunks": 0}
    state.apply_version(legacy)  # type: ignore[arg-type]
    assert state.model(MODEL).versions[1]["onnx_model"] is None
    state.apply_version({**version(1), "algorithm": "retrained"})
    assert state.model(MODEL).versions[1]["algorithm"] == "retrained"


def test_models_are_separate_and_asking_for_an_unknown_one_stores_nothing() -> None:
    state = published(1)
    state.apply_version(version(1, model="other"))
    act(state, "PROMOTE", 1, model="other")
    assert state.model(MODEL).champion is None and state.model("other").champion == 1
    assert state.model("nobody").versions == {}
    assert sorted(state.models) == [MODEL, "other"]


def test_a_refresh_changes_no_role_and_the_latest_one_is_the_versions() -> None:
    state = published(1, 2)
    act(state, "PROMOTE", 1)
    first = act(state, "REFRESH", None)
    model = state.model(MODEL)
    assert model.champion == 1 and model.refreshed == {1: first["deployment_id"]}
    second = act(state, "REFRESH", None)
    assert second["deployment_id"] != first["deployment_id"]
    assert model.refreshed == {1: second["deployment_id"]}
    act(state, "PROMOTE", 2)
    assert model.champion == 2 and model.refreshed == {1: second["deployment_id"]}
    assert model.role(1) == "RETIRED" and 2 not in model.refreshed  # v2 has its own profile
