"""`streamops topics ensure` against the real broker: exit codes and what lands on the broker."""

from __future__ import annotations

from confluent_kafka.admin import AdminClient
from typer.testing import CliRunner

from streamops.cli.topics import EXIT_DRIFT, app
from tests.integration.topics.observed import configs, partitions, pipeline_topic_names, precreate

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
    assert "10 topics: 10 created, 0 unchanged, 0 fixed, 0 drifted" in output
    assert len(pipeline_topic_names(admin, pipeline)) == 10
    assert partitions(admin, f"{pipeline}.events.raw") == 2

    code, output = _ensure(kafka, pipeline)
    assert code == 0, output
    assert "10 topics: 0 created, 10 unchanged, 0 fixed, 0 drifted" in output


def test_ensure_exits_1_on_drift_and_0_once_applied(
    kafka: str, admin: AdminClient, pipeline: str
) -> None:
    deployments = f"{pipeline}.deployments"
    precreate(admin, deployments, 1, {"cleanup.policy": "delete"})

    code, output = _ensure(kafka, pipeline)
    assert code == EXIT_DRIFT, output
    assert (
        f"drifted    {deployments}  cleanup.policy: expected 'compact', actual 'delete'" in output
    )
    assert configs(admin, deployments)["cleanup.policy"] == "delete"

    code, output = _ensure(kafka, pipeline, "--apply")
    assert code == 0, output
    assert f"fixed      {deployments}  cleanup.policy: 'delete' -> 'compact'" in output
    assert configs(admin, deployments)["cleanup.policy"] == "compact"


def test_replication_factor_error_reaches_the_user(kafka: str, pipeline: str) -> None:
    code, output = _ensure(kafka, pipeline, "--replication-factor", "99")
    assert code == 2
    assert "replication factor 99" in output
    assert "broker(s)" in output
