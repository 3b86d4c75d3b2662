"""A REFRESH of the champion: the owner takes the next window's traffic as its reference."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

from streamops.pipeline import Pipeline
from streamops_monitoring.owner import OWNER_PARTITION
from streamops_monitoring.partition import MONITOR
from streamops_monitoring.reference import ChampionFollower
from tests.unit.monitoring.harness import Cluster
from tests.unit.monitoring.test_monitor import drift_alerts, fraud, play
from tests.unit.registry.records import MODEL, act, published

__all__ = ["fraud"]  # the module's fixture, used here
SHIFT = ("x3", "country")


def _refresh(cluster: Cluster, deployment_id: str) -> None:
    ref = cluster.ref[0]
    assert ref is not None
    cluster.ref[0] = dataclasses.replace(ref, refresh=deployment_id)


def _taken(cluster: Cluster) -> Any:
    state = cluster.owner().state.partition(MONITOR, OWNER_PARTITION)
    return state.get("owner:refreshed:fraud-detector:1")


def test_a_refresh_resolves_the_drift_and_a_drift_from_the_new_reference_opens_another(
    fraud: Pipeline,
) -> None:
    cluster = Cluster(fraud)
    play(cluster, range(0, 6))
    play(cluster, range(6, 12), shift=SHIFT)
    opened = drift_alerts(cluster)
    assert opened and {a["state"] for a in opened} == {"OPEN"}
    play(cluster, range(12, 18), shift=SHIFT)  # the champion handles it: still open
    assert drift_alerts(cluster) == opened
    _refresh(cluster, "dep-1")
    play(cluster, range(18, 26), shift=SHIFT)  # the same traffic, now the reference
    *_, resolved = drift_alerts(cluster)
    assert resolved["state"] == "RESOLVED" and resolved["alert_id"] == opened[0]["alert_id"]
    assert resolved["details"]["reference"].startswith("refreshed by dep-1: the window from ")
    assert resolved["model_version"] == 1
    settled = len(drift_alerts(cluster))
    # the traffic of before the drift is a drift from the refreshed reference
    play(cluster, range(26, 34))
    again = drift_alerts(cluster)[settled:]
    assert again and again[0]["state"] == "OPEN" and again[0]["alert_id"] != resolved["alert_id"]
    assert set(again[-1]["details"]["features"].split(",")) == set(SHIFT)


def test_the_refreshed_reference_survives_a_restart_and_a_second_refresh_takes_a_new_window(
    fraud: Pipeline,
) -> None:
    cluster = Cluster(fraud)
    play(cluster, range(0, 4))
    _refresh(cluster, "dep-1")
    play(cluster, range(4, 10), shift=SHIFT)  # taken from the first window judged: stable
    assert [a["state"] for a in drift_alerts(cluster)] == ["OPEN"]
    taken = _taken(cluster)
    assert taken["id"] == "dep-1" and sum(taken["f"]["x3"]) >= 1000
    cluster.restart()  # the new owner reads the same refreshed counts from its state
    assert _taken(cluster) == taken
    play(cluster, range(10, 14), shift=SHIFT)
    assert [a["state"] for a in drift_alerts(cluster)] == ["OPEN"]
    _refresh(cluster, "dep-2")  # a second REFRESH takes the traffic of its own time
    play(cluster, range(14, 22), shift=SHIFT)
    states = [a["state"] for a in drift_alerts(cluster)]
    assert states == ["OPEN", "RESOLVED"]
    assert "dep-2" in drift_alerts(cluster)[-1]["details"]["reference"]


def test_the_follower_gives_the_champion_the_id_of_its_latest_refresh() -> None:
    state = published(1, 2)
    follower = ChampionFollower.__new__(ChampionFollower)  # no cluster: the state is given
    follower.model_name, follower.current = MODEL, None
    follower.registry = SimpleNamespace(state=state)  # type: ignore[assignment]
    act(state, "PROMOTE", 1)
    follower._update()
    first = follower.current
    assert first is not None and (first.version, first.refresh) == (1, None)
    refresh = act(state, "REFRESH", None)
    follower._update()
    assert follower.current is not first
    assert (follower.current.version, follower.current.refresh) == (1, refresh["deployment_id"])
    same = follower.current
    follower._update()  # nothing new: the same object, so the owner's caches hold
    assert follower.current is same
    act(state, "PROMOTE", 2)
    follower._update()
    assert (follower.current.version, follower.current.refresh) == (2, None)
