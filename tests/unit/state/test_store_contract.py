"""The state store's contract, for both stores: restore, rollback, revocation, expiry, bounds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from streamops.state import StageState, StateFullError, StateSettings, StoreSpec
from streamops.state.records import MARKER_KEY
from tests.unit.state.fakes import FakeChangelog, commit_batch

IN = "p.events"
HOUR = 3_600_000


@pytest.fixture(params=["memory", "disk"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> StateSettings:
    return StateSettings(backend=request.param, dir=tmp_path / "state")


@pytest.fixture
def changelog() -> FakeChangelog:
    return FakeChangelog()


def make_state(
    settings: StateSettings,
    changelog: FakeChangelog,
    ttl_ms: int | None = None,
    instance: str = "0",
) -> StageState:
    state = StageState(
        [StoreSpec("counts", ttl_ms=ttl_ms), StoreSpec("seen")],
        settings,
        consumer_factory=changelog.consumer,  # type: ignore[arg-type]
    )
    state.bind("p.stage", CollectorRegistry(), instance)
    return state


@pytest.fixture
def state(settings: StateSettings, changelog: FakeChangelog) -> Iterator[StageState]:
    s = make_state(settings, changelog)
    s.assign({0, 1}, {})
    yield s
    s.close()


def test_committed_writes_are_read_back_and_survive_a_restore(
    state: StageState, settings: StateSettings, changelog: FakeChangelog
) -> None:
    counts = state.partition("counts", 0)
    counts.set("alice", {"n": 2, "sum": 10.5})
    counts.set(b"\x00bob", [1, 2, 3])
    state.partition("seen", 1).set("tx-1", True)
    commit_batch(state, changelog, {(IN, 0): 42, (IN, 1): 7})
    counts = state.partition("counts", 0)
    counts.delete(b"\x00bob")
    commit_batch(state, changelog, {(IN, 0): 50})

    other = make_state(
        settings, changelog, instance="1"
    )  # another replica takes the partitions over
    other.assign({0, 1}, {})
    assert other.partition("counts", 0).get("alice") == {"n": 2, "sum": 10.5}
    assert other.partition("counts", 0).get(b"\x00bob") is None
    assert other.partition("seen", 1).get("tx-1") is True
    assert other.applied_offsets(0) == {IN: 50}
    assert other.applied_offsets(1) == {IN: 7}
    other.close()


def test_an_aborted_batch_leaves_no_trace(state: StageState, changelog: FakeChangelog) -> None:
    state.partition("counts", 0).set("alice", 1)
    commit_batch(state, changelog, {(IN, 0): 1})
    before = {k: list(v) for k, v in changelog.log.items()}

    part = state.partition("counts", 0)
    part.set("alice", 2)
    part.set("carol", 5)
    assert part.get("alice") == 2  # the batch sees its own writes
    state.prepare_commit({(IN, 0): 2})  # ... the write phase aborts: nothing appended
    state.rollback()

    assert part.get("alice") == 1 and part.get("carol") is None
    assert state.applied_offsets(0) == {IN: 1}
    assert {k: list(v) for k, v in changelog.log.items()} == before
    assert not state.dirty


def test_a_failed_record_is_undone_to_its_savepoint(state: StageState) -> None:
    part = state.partition("counts", 0)
    part.set("a", 1, time_ms=10)
    state.savepoint()
    part.set("a", 2, time_ms=10**12)  # a record from the far future, which then raises
    part.set("b", 1)
    part.delete("a")
    state.rollback_to_savepoint()
    assert part.get("a") == 1 and part.get("b") is None
    assert part.watermark_ms == 10, "nor does its event time move the TTL's clock"


def test_revoked_partitions_are_dropped_and_restored_on_reassignment(
    state: StageState, changelog: FakeChangelog
) -> None:
    state.partition("counts", 1).set("k", "v")
    commit_batch(state, changelog, {(IN, 1): 3})
    state.revoke({1})
    assert state.assigned == {0}
    with pytest.raises(KeyError, match="partition 1 of store 'counts' is not assigned"):
        state.partition("counts", 1)
    with pytest.raises(KeyError, match="no store 'nope'"):
        state.partition("nope", 0)
    state.assign({1}, {})
    assert state.partition("counts", 1).get("k") == "v"


def test_a_restore_reads_only_what_was_committed_in_chunks(
    settings: StateSettings, changelog: FakeChangelog
) -> None:
    small = settings.model_copy(update={"restore_batch_records": 7})
    state = make_state(small, changelog)
    state.assign({0}, {})
    for batch in range(10):
        part = state.partition("counts", 0)
        for i in range(25):
            part.set(f"k{i}", batch * 100 + i)
        commit_batch(state, changelog, {(IN, 0): batch + 1})
    state.close()

    again = make_state(small, changelog)
    again.assign({0}, {})
    part = again.partition("counts", 0)
    assert [part.get(f"k{i}") for i in range(25)] == [900 + i for i in range(25)]
    assert again.applied_offsets(0) == {IN: 10}
    again.close()


def test_keys_expire_in_event_time_with_tombstones_in_the_changelog(
    settings: StateSettings, changelog: FakeChangelog
) -> None:
    state = make_state(settings, changelog, ttl_ms=HOUR)
    state.assign({0}, {})
    part = state.partition("counts", 0)
    part.set("old", 1, time_ms=0)
    part.set("kept", 2, time_ms=30 * 60_000)
    part.set("rewritten", 3, time_ms=0)
    commit_batch(state, changelog, {(IN, 0): 1})
    part = state.partition("counts", 0)
    part.set("rewritten", 4, time_ms=HOUR)  # written again: lives on
    records = commit_batch(state, changelog, {(IN, 0): 2})
    part = state.partition("counts", 0)
    part.set("new", 5, time_ms=HOUR + 1)  # the watermark passes old's time + TTL
    records = commit_batch(state, changelog, {(IN, 0): 3})

    tombstones = {r.key for r in records if r.value is None}
    assert tombstones == {b"dold"}
    assert part.get("old") is None
    assert part.get("kept") == 2 and part.get("rewritten") == 4
    state.close()

    again = make_state(settings, changelog, ttl_ms=HOUR)  # expiry goes on after a restore
    again.assign({0}, {})
    part = again.partition("counts", 0)
    assert part.get("old") is None and part.get("kept") == 2
    assert part.watermark_ms == HOUR + 1, "the TTL's clock, from the offsets marker"
    part.set("later", 6, time_ms=2 * HOUR)
    records = commit_batch(again, changelog, {(IN, 0): 4})
    # cut-off 1 h: "kept" (0.5 h) goes; "rewritten" (1 h) and "new" (1 h + 1 ms) stay
    assert {r.key for r in records if r.value is None} == {b"dkept"}
    again.close()


def test_every_batch_writes_an_offsets_marker_per_partition(
    state: StageState, changelog: FakeChangelog
) -> None:
    records = commit_batch(state, changelog, {(IN, 0): 5, (IN, 1): 9})
    markers = sorted((r.topic, r.partition) for r in records if r.key == MARKER_KEY)
    assert markers == [
        ("p.stage.counts.changelog", 0),
        ("p.stage.counts.changelog", 1),
        ("p.stage.seen.changelog", 0),
        ("p.stage.seen.changelog", 1),
    ]


def test_a_memory_store_refuses_to_outgrow_its_bound(
    tmp_path: Path, changelog: FakeChangelog
) -> None:
    state = make_state(StateSettings(backend="memory", memory_max_keys=10), changelog)
    state.assign({0, 1}, {})
    for i in range(10):
        state.partition("counts", i % 2).set(f"k{i}", i)
    commit_batch(state, changelog, {})
    state.partition("counts", 0).set("k0", "overwrite is fine")
    commit_batch(state, changelog, {})
    state.partition("counts", 1).set("one-too-many", 1)
    with pytest.raises(StateFullError, match="STREAMOPS_STATE_BACKEND=disk"):
        state.prepare_commit({})


def test_state_must_be_bound_before_use(changelog: FakeChangelog) -> None:
    state = StageState([StoreSpec("s")])
    with pytest.raises(RuntimeError, match="not bound"):
        state.assign({0}, {})
    with pytest.raises(ValueError, match="distinct names"):
        StageState([StoreSpec("s"), StoreSpec("s")])
    with pytest.raises(ValueError, match="ttl_ms must be positive"):
        StoreSpec("s", ttl_ms=0)


def test_a_key_rewritten_without_an_event_time_stops_expiring(
    settings: StateSettings, changelog: FakeChangelog
) -> None:
    state = make_state(settings, changelog, ttl_ms=HOUR)
    state.assign({0}, {})
    state.partition("counts", 0).set("k", 1, time_ms=0)
    commit_batch(state, changelog, {})
    state.partition("counts", 0).set("k", 2)  # no event time: nothing to expire it by
    commit_batch(state, changelog, {})
    state.partition("counts", 0).set("clock", 0, time_ms=10 * HOUR)
    records = commit_batch(state, changelog, {})
    assert not [r for r in records if r.value is None], "the same in both stores"
    assert state.partition("counts", 0).get("k") == 2
    state.close()
