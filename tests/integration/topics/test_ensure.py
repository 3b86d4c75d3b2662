"""ensure_topics against the real broker, checked by reading back what the broker has."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka.admin import AdminClient

from streamops.topics import (
    PARTITIONS,
    Drift,
    ReplicationFactorError,
    TopicAdminError,
    ensure_topics,
    pipeline_topics,
)
from tests.integration.topics.observed import (
    configs,
    partitions,
    pipeline_topic_names,
    precreate,
    replicas,
    topic_ids,
)


def test_ensure_creates_every_declared_topic_as_declared(admin: AdminClient, pipeline: str) -> None:
    specs = pipeline_topics(pipeline, partitions=3, replication_factor=1)
    report = ensure_topics(admin, specs)

    names = [spec.name for spec in specs]
    assert pipeline_topic_names(admin, pipeline) == set(names)
    for spec in specs:
        assert partitions(admin, spec.name) == spec.partitions, spec.name
        assert replicas(admin, spec.name) == {1}, spec.name
        actual = configs(admin, spec.name)
        assert {key: actual[key] for key in spec.config} == dict(spec.config), spec.name
    assert configs(admin, f"{pipeline}.models")["cleanup.policy"] == "compact"
    for audit_log in ("deployments", "runs", "lineage"):
        kept = configs(admin, f"{pipeline}.{audit_log}")
        assert (kept["cleanup.policy"], kept["retention.ms"]) == ("delete", "-1"), audit_log
    assert configs(admin, f"{pipeline}.alerts")["cleanup.policy"] == "compact,delete"
    assert partitions(admin, f"{pipeline}.features") == 3
    assert partitions(admin, f"{pipeline}.models") == 1
    assert report.created == tuple(names)
    assert report.ok


def test_second_call_creates_nothing_and_reports_unchanged(
    admin: AdminClient, pipeline: str
) -> None:
    specs = pipeline_topics(pipeline, partitions=2)
    ensure_topics(admin, specs)
    names = [spec.name for spec in specs]
    before = topic_ids(admin, names)

    report = ensure_topics(admin, specs)

    assert topic_ids(admin, names) == before  # same topics, not deleted and recreated
    assert report.created == ()
    assert report.unchanged == tuple(names)
    assert report.drifted == ()
    assert report.ok


def _precreate_drift(admin: AdminClient, pipeline: str) -> None:
    """Topics someone created by hand or an older catalog made, differing in five ways."""
    precreate(admin, f"{pipeline}.models", 1, {"cleanup.policy": "delete"})
    # the deployments log as the catalog declared it before it became append-only
    precreate(admin, f"{pipeline}.deployments", 1, {"cleanup.policy": "compact"})
    precreate(admin, f"{pipeline}.features", 2, {"retention.ms": "86400000"})


def test_drift_is_reported_and_left_alone(admin: AdminClient, pipeline: str) -> None:
    _precreate_drift(admin, pipeline)
    specs = pipeline_topics(pipeline, partitions=4)

    report = ensure_topics(admin, specs)

    assert configs(admin, f"{pipeline}.models")["cleanup.policy"] == "delete"
    assert configs(admin, f"{pipeline}.deployments")["cleanup.policy"] == "compact"
    assert partitions(admin, f"{pipeline}.features") == 2
    assert configs(admin, f"{pipeline}.features")["retention.ms"] == "86400000"
    broker_retention = configs(admin, f"{pipeline}.deployments")["retention.ms"]
    assert set(report.drifted) == {
        Drift(f"{pipeline}.models", "cleanup.policy", "compact", "delete"),
        Drift(f"{pipeline}.deployments", "cleanup.policy", "delete", "compact"),
        Drift(f"{pipeline}.deployments", "retention.ms", "-1", broker_retention),
        Drift(f"{pipeline}.features", PARTITIONS, "4", "2"),
        Drift(f"{pipeline}.features", "retention.ms", str(30 * 86_400_000), "86400000"),
    }
    assert not report.ok
    assert len(report.created) == 10
    assert pipeline_topic_names(admin, pipeline) == {spec.name for spec in specs}


def test_apply_fixes_config_and_adds_partitions(admin: AdminClient, pipeline: str) -> None:
    _precreate_drift(admin, pipeline)
    specs = pipeline_topics(pipeline, partitions=4)

    report = ensure_topics(admin, specs, apply=True)

    assert configs(admin, f"{pipeline}.models")["cleanup.policy"] == "compact"
    deployments = configs(admin, f"{pipeline}.deployments")
    assert (deployments["cleanup.policy"], deployments["retention.ms"]) == ("delete", "-1")
    features = configs(admin, f"{pipeline}.features")
    assert features["retention.ms"] == str(30 * 86_400_000)
    assert partitions(admin, f"{pipeline}.features") == 4
    assert report.ok
    assert {(d.topic, d.key) for d in report.fixed} == {
        (f"{pipeline}.models", "cleanup.policy"),
        (f"{pipeline}.deployments", "cleanup.policy"),
        (f"{pipeline}.deployments", "retention.ms"),
        (f"{pipeline}.features", PARTITIONS),
        (f"{pipeline}.features", "retention.ms"),
    }
    again = ensure_topics(admin, specs)
    assert again.drifted == () and len(again.unchanged) == 13


def test_apply_never_removes_partitions(admin: AdminClient, pipeline: str) -> None:
    precreate(admin, f"{pipeline}.labels", 5, {"retention.ms": "86400000"})
    report = ensure_topics(admin, pipeline_topics(pipeline, partitions=3), apply=True)

    assert partitions(admin, f"{pipeline}.labels") == 5
    assert configs(admin, f"{pipeline}.labels")["retention.ms"] == str(30 * 86_400_000)
    [drift] = report.drifted
    assert (drift.topic, drift.key, drift.expected, drift.actual) == (
        f"{pipeline}.labels",
        PARTITIONS,
        "3",
        "5",
    )
    assert "cannot remove partitions" in drift.note
    assert {(d.topic, d.key) for d in report.fixed} == {(f"{pipeline}.labels", "retention.ms")}


def test_replication_factor_above_broker_count_is_a_clear_error(
    admin: AdminClient, pipeline: str
) -> None:
    brokers = len(admin.list_topics(timeout=10).brokers)
    specs = pipeline_topics(pipeline, replication_factor=brokers + 1)

    with pytest.raises(ReplicationFactorError) as raised:
        ensure_topics(admin, specs)

    message = str(raised.value)
    assert f"replication factor {brokers + 1}" in message
    assert f"the cluster has {brokers} broker(s)" in message
    assert f"{pipeline}.models" in message
    assert pipeline_topic_names(admin, pipeline) == set()


class _LosesTheRace(AdminClient):
    """An admin client under which another process creates one topic just before we do."""

    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        super().__init__({"bootstrap.servers": bootstrap_servers})
        self.other_process = AdminClient({"bootstrap.servers": bootstrap_servers})
        self.topic = topic

    def create_topics(self, new_topics: list[Any], **kwargs: Any) -> dict[str, Any]:
        precreate(self.other_process, self.topic, 1, {})
        return super().create_topics(new_topics, **kwargs)


def test_topic_created_concurrently_is_compared_not_failed(kafka: str, pipeline: str) -> None:
    raced = f"{pipeline}.predictions"
    admin = _LosesTheRace(kafka, raced)

    report = ensure_topics(admin, pipeline_topics(pipeline, partitions=3))

    assert raced not in report.created
    assert len(report.created) == 12
    assert Drift(raced, PARTITIONS, "3", "1") in report.drifted
    assert partitions(admin, raced) == 1


def test_refused_config_is_an_error_naming_topic_and_reason(
    admin: AdminClient, pipeline: str
) -> None:
    bogus = pipeline_topics(pipeline, overrides={"alerts": {"cleanup.policy": "sometimes"}})

    with pytest.raises(TopicAdminError, match=rf"{pipeline}\.alerts: INVALID_CONFIG"):
        ensure_topics(admin, bogus)
    assert f"{pipeline}.alerts" not in pipeline_topic_names(admin, pipeline)

    ensure_topics(admin, pipeline_topics(pipeline))
    with pytest.raises(TopicAdminError, match=rf"refused to fix drift.*{pipeline}\.alerts"):
        ensure_topics(admin, bogus, apply=True)
    assert configs(admin, f"{pipeline}.alerts")["cleanup.policy"] == "compact,delete"
