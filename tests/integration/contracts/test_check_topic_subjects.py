"""`schemas check` also compares a platform schema with the topic subjects that hold it."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from streamops.contracts import load_schema
from streamops.contracts.check import check_schema
from streamops.contracts.compat import RegistryCompatibility
from streamops.serde import AvroEncoder, value_subject
from tests.support.kafka import unique_name


@pytest.fixture
def topic_subject(registry_client: SchemaRegistryClient) -> Iterator[str]:
    """A ``<topic>-value`` subject like the stream runtime registers; deleted afterwards."""
    subject = value_subject(unique_name("contracts-dlq"))
    yield subject
    registry_client.delete_subject(subject)
    registry_client.delete_subject(subject, permanent=True)


def test_dead_letter_is_checked_against_the_dlq_topic_subject(
    registry_client: SchemaRegistryClient, schema_registry: str, topic_subject: str
) -> None:
    AvroEncoder(registry_client, topic_subject, load_schema("DeadLetter"))
    results = check_schema("DeadLetter", RegistryCompatibility(registry_client, schema_registry))
    mine = [r for r in results if topic_subject in r.baseline]
    assert [r.compatible for r in mine] == [True]


def test_an_incompatible_registered_topic_version_fails_the_check(
    registry_client: SchemaRegistryClient, schema_registry: str, topic_subject: str
) -> None:
    # Records already in that topic carry `stage` as an int: today's schema (a string)
    # cannot read them, so the check must fail and name the subject.
    older = copy.deepcopy(load_schema("DeadLetter"))
    next(f for f in older["fields"] if f["name"] == "stage")["type"] = "int"
    AvroEncoder(registry_client, topic_subject, json.dumps(older))
    results = check_schema("DeadLetter", RegistryCompatibility(registry_client, schema_registry))
    [mine] = [r for r in results if topic_subject in r.baseline]
    assert mine.compatible is False
    assert "stage" in mine.describe()


def test_the_repository_schemas_pass_the_check_as_ci_runs_it(schema_registry: str) -> None:
    # Exactly `streamops schemas check`: every registered subject holding a platform record,
    # and git HEAD. This is how `make test` keeps incompatible contract changes out of main.
    from typer.testing import CliRunner

    from streamops.cli import app
    from streamops.contracts import schema_names

    result = CliRunner().invoke(app, ["schemas", "check", "--registry-url", schema_registry])
    assert result.exit_code == 0, result.output
    assert f"{len(schema_names())} schemas:" in result.output  # every contract was looked at
