"""Deciding a deployment action: check it against the model's state, build its record.

Pure: the caller writes the record (`RegistryPublisher.record_deployment`). The rules:

- Every action names a published version; an unknown one is `UnknownVersionError`.
- PROMOTE: any version but the champion.
- ROLLBACK: back to the most recent earlier champion, or to an earlier champion named;
  refused without a champion or without an earlier one.
- RETIRE: any version but the champion, and not twice. A model that has a champion keeps
  one: to stop serving the champion, promote another version or roll back first.
- SHADOW (challenger) and CANARY (with a weight in (0, 1)): any version but the champion;
  a canary needs a champion to split the traffic with.
- REFRESH: the champion only (the default), which stays champion; monitoring takes the
  next window it judges as the champion's new reference.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Literal, get_args

from streamops.contracts.types import Deployment, GateResult, ModelRole
from streamops.registry.errors import ActionRefusedError, UnknownVersionError
from streamops.registry.keys import deployment_id
from streamops.registry.state import ModelState

Action = Literal["PROMOTE", "ROLLBACK", "RETIRE", "SHADOW", "CANARY", "REFRESH"]
ACTIONS: tuple[Action, ...] = get_args(Action)
_ROLE: dict[Action, ModelRole] = {
    "PROMOTE": "CHAMPION",
    "ROLLBACK": "CHAMPION",
    "RETIRE": "RETIRED",
    "SHADOW": "CHALLENGER",
    "CANARY": "CANARY",
    "REFRESH": "CHAMPION",
}


def decide(
    state: ModelState,
    action: Action,
    version: int | None,
    *,
    actor: str,
    reason: str,
    decided_at: datetime.datetime,
    canary_weight: float | None = None,
    gates: Sequence[GateResult] = (),
    run_id: str | None = None,
    event_time: datetime.datetime | None = None,
) -> Deployment:
    """The Deployment record of ``action`` on ``version`` (None: the default target of
    ROLLBACK or REFRESH), or `ActionRefusedError` / `UnknownVersionError` saying why not.
    ``event_time``: the newest event time of the features records as it was decided, from
    which a PROMOTE's probation judges the rows."""
    if action not in ACTIONS:
        raise ActionRefusedError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    if not actor.strip() or not reason.strip():
        raise ActionRefusedError("every deployment event needs an actor and a reason")
    if decided_at.tzinfo is None:
        raise ValueError("decided_at must be timezone-aware")
    target: int | None
    if action == "ROLLBACK":
        target = _rollback_target(state, version)
    elif action == "REFRESH":
        target = _refresh_target(state, version)
    else:
        target = version
    if target is None:
        raise ActionRefusedError(f"{action} needs a version")
    what = f"{state.name} v{target}"
    _require_published(state, target)
    if action not in ("ROLLBACK", "REFRESH") and target == state.champion:
        raise ActionRefusedError(f"{what} is the champion{_CHAMPION_ADVICE[action]}")
    if action == "RETIRE" and _retired_for_good(state, target):
        raise ActionRefusedError(f"{what} is retired already")
    if action == "SHADOW" and target == state.challenger:
        raise ActionRefusedError(f"{what} is the challenger already")
    if action == "CANARY":
        _check_canary(state, target, canary_weight)
    elif canary_weight is not None:
        raise ActionRefusedError("canary_weight is for CANARY only")
    replaces_champion = action in ("PROMOTE", "ROLLBACK")
    return {
        "deployment_id": deployment_id(
            state.pipeline, state.name, target, action, len(state.history)
        ),
        "pipeline": state.pipeline,
        "model_name": state.name,
        "version": target,
        "action": action,
        "role": _ROLE[action],
        "previous_champion_version": state.champion if replaces_champion else None,
        "reason": reason,
        "gates": list(gates),
        "actor": actor,
        "decided_at": decided_at,
        "canary_weight": canary_weight,
        "run_id": run_id,
        "event_time": event_time,
    }


_CHAMPION_ADVICE: dict[Action, str] = {
    "PROMOTE": " already",
    "ROLLBACK": "",
    "RETIRE": ": a model keeps its champion until another version replaces it "
    "(promote one, or roll back), then the old champion is retired",
    "SHADOW": ": a challenger is another version scored beside it",
    "CANARY": ": a canary is another version answering part of its traffic",
}


def _require_published(state: ModelState, version: int) -> None:
    if version in state.versions:
        return
    known = ", ".join(map(str, sorted(state.versions))) or "none"
    raise UnknownVersionError(
        f"{state.name} has no version {version} on the models topic (published: {known})"
    )


def _retired_for_good(state: ModelState, version: int) -> bool:
    # a replaced champion is RETIRED but still a rollback target: retiring it ends that
    return state.role(version) == "RETIRED" and version not in state.previous_champions


def _rollback_target(state: ModelState, version: int | None) -> int:
    if state.champion is None:
        raise ActionRefusedError(f"{state.name} has no champion to roll back from")
    if not state.previous_champions:
        raise ActionRefusedError(
            f"{state.name} v{state.champion} is its first champion: there is no earlier "
            "champion to roll back to (promote another version instead)"
        )
    if version is None:
        return state.previous_champions[-1]
    if version == state.champion:
        raise ActionRefusedError(f"{state.name} v{version} is the champion already")
    if version not in state.previous_champions:
        _require_published(state, version)
        earlier = ", ".join(map(str, reversed(state.previous_champions)))
        raise ActionRefusedError(
            f"{state.name} v{version} is not an earlier champion to roll back to "
            f"(candidates, most recent first: {earlier}); promote it instead"
        )
    return version


def _refresh_target(state: ModelState, version: int | None) -> int:
    if state.champion is None:
        raise ActionRefusedError(f"{state.name} has no champion whose reference to refresh")
    if version is not None and version != state.champion:
        raise ActionRefusedError(
            f"{state.name} v{version} is not the champion (v{state.champion} is): only the "
            "champion's reference is compared with live data"
        )
    return state.champion


def _check_canary(state: ModelState, version: int, weight: float | None) -> None:
    if weight is None or not 0.0 < weight < 1.0:
        raise ActionRefusedError(
            f"a canary answers a share of the traffic: canary_weight in (0, 1), got {weight}"
        )
    if state.champion is None:
        raise ActionRefusedError(
            f"{state.name} has no champion for a canary to share the traffic with; promote one"
        )
    if version == state.canary and weight == state.canary_weight:
        raise ActionRefusedError(f"{state.name} v{version} is the canary at {weight} already")
