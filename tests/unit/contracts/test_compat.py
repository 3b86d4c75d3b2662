"""RegistryCompatibility against an in-memory registry double: cleanup and error paths.

The verdicts themselves come from the real registry; tests/integration/contracts shows them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from confluent_kafka.schema_registry import RegisteredSchema, Schema, SchemaRegistryError

from streamops.contracts import InvalidSchemaError, RegistryUnavailableError
from streamops.contracts.compat import RegistryCompatibility, explain_incompatibility
from streamops.contracts.pointer import describe_pointer

OLD = {"type": "record", "name": "P", "fields": [{"name": "a", "type": "string"}]}
NEW = {**OLD, "fields": [*OLD["fields"], {"name": "b", "type": "int"}]}
APICURIO_409 = (
    "io.apicurio.registry.rules.violation.RuleViolationException: Incompatible artifact: "
    "x [AVRO], num of incompatible diffs: {1}, list of diff types: [b at /fields/1]"
)


@dataclass
class FakeRegistry:
    """Just enough of SchemaRegistryClient; refuses a second version that adds field b."""

    subjects: dict[str, list[str]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    fail_with: Exception | None = None

    def set_config(self, subject_name: str, config: Any) -> None:
        self.calls.append(f"config {subject_name} {config.compatibility}")

    def register_schema(self, subject_name: str, schema: Schema) -> int:
        if self.fail_with is not None:
            raise self.fail_with
        versions = self.subjects.setdefault(subject_name, [])
        if versions and "b" in str(schema.schema_str):
            raise SchemaRegistryError(409, 409, APICURIO_409)
        versions.append(str(schema.schema_str))
        return len(versions)

    def get_latest_version(self, subject_name: str) -> RegisteredSchema:
        if self.fail_with is not None:
            raise self.fail_with
        if subject_name not in self.subjects:
            raise SchemaRegistryError(404, 40401, f"Subject '{subject_name}' not found.")
        versions = self.subjects[subject_name]
        return RegisteredSchema(
            subject=subject_name,
            version=len(versions),
            schema_id=1,
            guid=None,
            schema=Schema(versions[-1], "AVRO"),
        )

    def get_subjects(self) -> list[str]:
        return list(self.subjects)

    def delete_subject(self, subject_name: str, permanent: bool = False) -> list[int]:
        self.calls.append(f"delete {subject_name} permanent={permanent}")
        self.subjects.pop(subject_name, None)
        return [1]


def _checker(fake: FakeRegistry) -> RegistryCompatibility:
    return RegistryCompatibility(fake, "http://registry.test/apis/ccompat/v7")  # type: ignore[arg-type]


def test_incompatible_change_is_explained_and_the_scratch_subject_deleted() -> None:
    fake = FakeRegistry()
    verdict = _checker(fake).backward_compatible(json.dumps(OLD), json.dumps(NEW), "s.P")
    assert not verdict.compatible
    assert verdict.detail == "b at /fields/1 (field b)"
    assert fake.subjects == {}
    scratch = fake.calls[0].split()[1]
    assert scratch.startswith("s.P.compat-check-")
    assert fake.calls == [
        f"config {scratch} BACKWARD",
        f"delete {scratch} permanent=False",
        f"delete {scratch} permanent=True",
    ]


def test_compatible_change_passes_and_leaves_nothing_behind() -> None:
    fake = FakeRegistry()
    verdict = _checker(fake).backward_compatible(json.dumps(OLD), json.dumps(OLD), "s.P")
    assert verdict.compatible
    assert fake.subjects == {}


def test_topic_subjects_are_found_by_record_and_one_old_version_is_checked_once() -> None:
    other = {**OLD, "name": "Q"}
    fake = FakeRegistry(
        subjects={
            **{f"p{i}.alerts-value": [json.dumps(OLD)] for i in range(20)},
            "p0.other-value": [json.dumps(other)],
            "p0.alerts-value.compat-check-0123456789ab": [json.dumps(OLD)],
        }
    )
    checker = _checker(fake)
    holding = checker.subjects_holding("P")
    assert sorted(v.subject for v in holding) == sorted(f"p{i}.alerts-value" for i in range(20))
    verdicts = {checker.backward_compatible(v.schema_str, json.dumps(NEW), "P") for v in holding}
    assert verdicts == {checker.backward_compatible(json.dumps(OLD), json.dumps(NEW), "P")}
    assert len([c for c in fake.calls if c.startswith("config ")]) == 1


def test_latest_is_none_for_a_subject_the_registry_does_not_know() -> None:
    fake = FakeRegistry(subjects={"known": ["{}"]})
    assert _checker(fake).latest("unknown") is None
    latest = _checker(fake).latest("known")
    assert latest is not None and (latest.version, latest.schema_str) == (1, "{}")


def test_bare_404_means_a_wrong_url_not_a_missing_subject() -> None:
    fake = FakeRegistry(fail_with=SchemaRegistryError(404, None, None))  # type: ignore[arg-type]
    with pytest.raises(RegistryUnavailableError, match=r"HTTP 404.*\.\.\./apis/ccompat/v7"):
        _checker(fake).latest("s.P")


def test_connection_errors_name_the_registry_and_the_way_out() -> None:
    fake = FakeRegistry(fail_with=ConnectionRefusedError(111, "Connection refused"))
    with pytest.raises(RegistryUnavailableError, match=r"registry\.test.*make up"):
        _checker(fake).backward_compatible("{}", "{}", "s.P")


def test_a_schema_the_registry_calls_invalid_is_reported_as_such() -> None:
    fake = FakeRegistry(fail_with=SchemaRegistryError(422, 42201, "Invalid schema"))
    with pytest.raises(InvalidSchemaError, match=r"refuses the old version of .* invalid Avro"):
        _checker(fake).backward_compatible("{}", "{}", "s.P")


def test_confluent_style_messages_are_explained_too() -> None:
    message = (
        "Schema being registered is incompatible with an earlier schema; details: "
        "[{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', path:'/fields/1'}]"
    )
    assert "'/fields/1 (field b)'" in explain_incompatibility(message, json.dumps(NEW))


INNER = {
    "type": "record",
    "name": "W",
    "fields": [{"name": "c", "type": {"type": "enum", "name": "E", "symbols": ["X"]}}],
}
NESTED = {"fields": [{"name": "a", "type": "int"}, {"name": "w", "type": ["null", INNER]}]}


@pytest.mark.parametrize(
    ("pointer", "described"),
    [
        ("/fields/1", "field w"),
        ("/fields/0/type", "field a"),
        ("/fields/1/type/1/fields/0/type/symbols", "field w.c"),
        ("/fields/9", ""),
        ("/name", ""),
    ],
)
def test_pointers_become_field_paths(pointer: str, described: str) -> None:
    assert describe_pointer(NESTED, pointer) == described
