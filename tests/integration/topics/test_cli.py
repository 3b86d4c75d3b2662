"""`streamops topics ensure` against the real broker: exit codes and what lands on the broker."""

from __future__ import annotations

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from typer.testing import CliRunner

from streamops.cli.topics import EXIT_DRIFT, app
from tests.integration.topics.observed import configs, partitions, pipeline_topic_names, precreate
from tests.support.kafka import read_all

runner = CliRunner()


def _ensure(kafka: str, pipeline: str, *extra: str) -> tuple[int, str]:
    args = ["ensure", pipeline, "--bootstrap-servers", kafka, "--partitions", "2", *extra]
    result = runner.invoke(app, args)
    return result.exit_code, result.output


def test_ensure_creates_then_reports_unchanged(
    kafka: str, admin: AdminClient, pipeline: str
) -> None:
    code, output = _ensure(kafka, pipeline)
    assert code == 0, output
    assert "13 topics: 13 created, 0 unchanged, 0 fixed, 0 drifted" in output
    assert len(pipeline_topic_names(admin, pipeline)) == 13
    assert partitions(admin, f"{pipeline}.events.raw") == 2

    code, output = _ensure(kafka, pipeline)
    assert code == 0, output
    assert "13 topics: 0 created, 13 unchanged, 0 fixed, 0 drifted" in output


def test_ensure_exits_1_on_drift_and_0_once_applied(
    kafka: str, admin: AdminClient, pipeline: str
) -> None:
    """The deployments log as an older catalog made it (compacted) becomes append-only."""
    deployments = f"{pipeline}.deployments"
    precreate(admin, deployments, 1, {"cleanup.policy": "compact"})
    producer = Producer({"bootstrap.servers": kafka})
    for i in range(3):
        producer.produce(deployments, key=b"fraud-gbm", value=f"event {i}".encode())
    assert producer.flush(30) == 0

    code, output = _ensure(kafka, pipeline)
    assert code == EXIT_DRIFT, output
    assert (
        f"drifted    {deployments}  cleanup.policy: expected 'delete', actual 'compact'" in output
    )
    assert f"drifted    {deployments}  retention.ms: expected '-1'" in output
    assert configs(admin, deployments)["cleanup.policy"] == "compact"

    code, output = _ensure(kafka, pipeline, "--apply")
    assert code == 0, output
    assert f"fixed      {deployments}  cleanup.policy: 'compact' -> 'delete'" in output
    assert f"{deployments}  retention.ms: " in output and "-> '-1'" in output
    kept = configs(admin, deployments)
    assert (kept["cleanup.policy"], kept["retention.ms"]) == ("delete", "-1")
    # the same key three times: nothing compacted or deleted by the change
    assert [m.value() for m in read_all(kafka, deployments, 3, idle_s=1.0)] == [
        b"event 0",
        b"event 1",
        b"event 2",
    ]


def test_replication_factor_error_reaches_the_user(kafka: str, pipeline: str) -> None:
    code, output = _ensure(kafka, pipeline, "--replication-factor", "99")
    assert code == 2
    assert "replication factor 99" in output
    assert "broker(s)" in output
