"""Comparing a declared topic with what a cluster reports, and rendering the outcome."""

from __future__ import annotations

from streamops.topics import PARTITIONS, REPLICATION_FACTOR, Drift, EnsureReport, TopicSpec
from streamops.topics.observe import TopicState, find_drift

SPEC = TopicSpec(
    "fraud.alerts", 3, 3, {"cleanup.policy": "compact,delete", "retention.ms": "7776000000"}
)


def _state(partitions: int = 3, replicas: int = 3, **config: str | None) -> TopicState:
    actual: dict[str, str | None] = {
        "cleanup.policy": "compact,delete",
        "retention.ms": "7776000000",
        "segment.bytes": "1073741824",  # not declared: never compared
    }
    actual.update({key.replace("_", "."): value for key, value in config.items()})
    return TopicState("fraud.alerts", partitions, replicas, actual)


def test_a_matching_topic_has_no_drift_and_list_configs_ignore_order() -> None:
    assert find_drift(SPEC, _state()) == []
    assert find_drift(SPEC, _state(cleanup_policy="delete, compact")) == []


def test_each_differing_declared_key_is_one_drift() -> None:
    drifts = find_drift(SPEC, _state(cleanup_policy="delete", retention_ms=None))
    assert drifts == [
        Drift("fraud.alerts", "cleanup.policy", "compact,delete", "delete"),
        Drift("fraud.alerts", "retention.ms", "7776000000", None),
    ]
    assert all(d.fixable for d in drifts)


def test_fewer_partitions_can_be_fixed_more_cannot() -> None:
    [fewer] = find_drift(SPEC, _state(partitions=2))
    assert (fewer.key, fewer.expected, fewer.actual, fewer.fixable) == (PARTITIONS, "3", "2", True)
    [more] = find_drift(SPEC, _state(partitions=4))
    assert (more.key, more.actual, more.fixable) == (PARTITIONS, "4", False)
    assert "cannot remove partitions" in more.note


def test_replication_factor_is_compared_only_when_declared() -> None:
    [drift] = find_drift(SPEC, _state(replicas=1))
    assert (drift.key, drift.expected, drift.actual, drift.fixable) == (
        REPLICATION_FACTOR,
        "3",
        "1",
        False,
    )
    broker_default = TopicSpec(SPEC.name, 3, None, SPEC.config)
    assert find_drift(broker_default, _state(replicas=1)) == []


def test_report_renders_every_topic_and_a_verdict() -> None:
    report = EnsureReport(
        created=("p.events.raw",),
        unchanged=("p.labels", "p.models"),
        fixed=(Drift("p.alerts", "retention.ms", "7776000000", "604800000"),),
        drifted=(
            Drift("p.features", PARTITIONS, "6", "8", "Kafka cannot remove partitions"),
            Drift("p.features", "cleanup.policy", "delete", "compact"),
        ),
    )
    assert not report.ok
    assert report.drifted_topics == ("p.features",)
    assert report.render().splitlines() == [
        "created    p.events.raw",
        "unchanged  p.labels",
        "unchanged  p.models",
        "fixed      p.alerts  retention.ms: '604800000' -> '7776000000'",
        "drifted    p.features  partitions: expected '6', actual '8' "
        "(Kafka cannot remove partitions)",
        "drifted    p.features  cleanup.policy: expected 'delete', actual 'compact'",
        "",
        "5 topics: 1 created, 2 unchanged, 1 fixed, 1 drifted",
        "run again with --apply (apply=True) to fix the fixable drift",
    ]


def test_report_without_drift_is_ok_and_shows_a_missing_value() -> None:
    report = EnsureReport(created=("p.models",))
    assert report.ok
    assert (
        report.render().splitlines()[-1] == "1 topics: 1 created, 0 unchanged, 0 fixed, 0 drifted"
    )
    unset = Drift("p.models", "max.message.bytes", "33554432", None)
    assert unset.describe() == "p.models  max.message.bytes: expected '33554432', actual <not set>"
