"""`streamops models` and `streamops runs` on real topics: output, exit codes, and the
events that landed on the append-only deployments log."""

from __future__ import annotations

import os

from confluent_kafka.serialization import MessageField, SerializationContext
from typer.testing import CliRunner, Result

from streamops.cli import app
from streamops.cli.models import EXIT_REFUSED
from streamops.registry import ModelRegistry, RegistryPublisher
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from tests.integration.registry.records import MODEL, version
from tests.support.confluent import avro_deserializer, registry_client
from tests.support.kafka import read_all
from tests.unit.contracts.examples import TRAINING_RUN

runner = CliRunner()


def _cli(kafka: str, registry: str, *args: str) -> Result:
    where = ["--bootstrap-servers", kafka, "--registry-url", registry, "--timeout", "20"]
    return runner.invoke(app, [*args, *where])


def test_operators_promote_roll_back_retire_and_read_the_registry(
    pipeline: str, publisher: RegistryPublisher, kafka: str, schema_registry: str
) -> None:
    for number in (1, 2, 3):
        publisher.publish_version(version(pipeline, number), os.urandom(200_000))
    publisher.record_run({**TRAINING_RUN, "pipeline": pipeline})

    def cli(*args: str) -> Result:
        return _cli(kafka, schema_registry, *args)

    promote = cli("models", "promote", pipeline, "1", "--reason", "first", "--actor", "bob")
    assert promote.exit_code == 0, promote.output
    assert f"promote {MODEL} v1: now CHAMPION;" in promote.output
    # nothing on the features topic yet: said, and the record has no event time
    assert f"note: no event time for the record, {pipeline}.features has no records" in (
        promote.output
    )
    assert cli("models", "promote", pipeline, "2", "--reason", "better").exit_code == 0
    rollback = cli("models", "rollback", pipeline, "--reason", "v2 drifts", "--actor", "carol")
    assert rollback.exit_code == 0, rollback.output
    assert f"rollback {MODEL} v1: now CHAMPION (champion was v2)" in rollback.output

    refused = cli("models", "retire", pipeline, "1", "--reason", "no")
    assert refused.exit_code == EXIT_REFUSED
    assert "v1 is the champion: a model keeps its champion" in refused.output
    unknown = cli("models", "promote", pipeline, "9", "--reason", "typo")
    assert unknown.exit_code == EXIT_REFUSED
    assert "has no version 9 on the models topic (published: 1, 2, 3)" in unknown.output
    assert cli("models", "retire", pipeline, "3", "--reason", "never").exit_code == 0
    refresh = cli("models", "refresh", pipeline, "--reason", "new normal", "--actor", "dan")
    assert refresh.exit_code == 0, refresh.output
    assert f"refresh {MODEL} v1: now CHAMPION;" in refresh.output

    listed = cli("models", "list", pipeline)
    assert listed.exit_code == 0, listed.output
    rows = {line.split()[0]: line.split()[1] for line in listed.output.splitlines()[2:]}
    assert rows == {"3": "RETIRED", "2": "RETIRED", "1": "CHAMPION"}
    shown = cli("models", "show", pipeline, "2")
    assert shown.exit_code == 0, shown.output
    assert "role        RETIRED" in shown.output and "0.2 MB in 1 chunk(s)" in shown.output
    assert "replaced (ROLLBACK v1)  carol" in shown.output

    runs = cli("runs", pipeline)
    assert runs.exit_code == 0, runs.output
    assert "REJECTED" in runs.output and TRAINING_RUN["reason"] in runs.output

    topic = publisher.topics.deployments
    read = avro_deserializer(registry_client(schema_registry))
    landed = [
        read(m.value(), SerializationContext(topic, MessageField.VALUE))
        for m in read_all(kafka, topic, 5, idle_s=1.0)
    ]
    assert [(e["action"], e["version"]) for e in landed] == [
        ("PROMOTE", 1),
        ("PROMOTE", 2),
        ("ROLLBACK", 1),
        ("RETIRE", 3),
        ("REFRESH", 1),
    ]
    assert [e["actor"] for e in landed][::2] == ["bob", "carol", "dan"]
    assert [e["event_time"] for e in landed] == [None] * 5
    assert landed[2]["reason"] == "v2 drifts"
    # what monitoring's follower reads: the champion's latest refresh
    registry = ModelRegistry(
        pipeline,
        KafkaSettings(bootstrap_servers=kafka),
        SchemaRegistrySettings(url=schema_registry),
    )
    try:
        model = registry.refresh().model(MODEL)
        assert model.champion == 1 and model.refreshed == {1: landed[4]["deployment_id"]}
    finally:
        registry.close()


def test_a_pipeline_without_topics_exits_2_saying_so(kafka: str, schema_registry: str) -> None:
    result = _cli(kafka, schema_registry, "models", "list", "nosuchpipeline_x1")
    assert result.exit_code == 2
    assert "topic nosuchpipeline_x1.models does not exist" in result.output
