"""The label checks, pure: a Label record and its key in, the reasons it is bad out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from streamops.pipeline import LabelSpec, load_pipeline
from streamops_validation.labels import LabelChecks, label_checks

FRAUD = Path(__file__).resolve().parents[3] / "deploy" / "pipelines" / "fraud.yaml"
EVENT_MS = 1_800_000_000_000


def spec(kind: str = "binary", classes: list[str] | None = None) -> LabelSpec:
    return LabelSpec.model_validate(
        {"join_key": "transaction_id", "expected_delay": "3d", "kind": kind, "classes": classes}
    )


BINARY = LabelChecks("fraud", spec())
MULTICLASS = LabelChecks("fraud", spec("multiclass", ["ok", "fraud", "abuse"]))
ANY_CLASS = LabelChecks("fraud", spec("multiclass"))
REGRESSION = LabelChecks("fraud", spec("regression"))


def label(**changes: Any) -> dict[str, Any]:
    """A good binary label of card-000001, as a Label record reads back (aware datetimes)."""
    good = {
        "pipeline": "fraud",
        "event_id": "tx-0000000000000001",
        "entity_key": "card-000001",
        "value": 1.0,
        "event_time": datetime.fromtimestamp(EVENT_MS / 1000, UTC),
        "label_time": datetime.fromtimestamp((EVENT_MS + 3_600_000) / 1000, UTC),
        "source": "chargebacks",
    }
    return good | changes


KEY = b"card-000001"


def rules(checks: LabelChecks, value: Any, key: bytes | None = KEY) -> list[tuple[str, str | None]]:
    return [(r.rule, r.field) for r in checks.check(value, key)]


@pytest.mark.parametrize(
    ("checks", "value"),
    [
        (BINARY, 1.0),
        (BINARY, 0.0),
        (MULTICLASS, "abuse"),
        (ANY_CLASS, "anything"),
        (REGRESSION, -12.75),
        (REGRESSION, 0.0),
    ],
)
def test_a_good_label_of_each_kind_passes(checks: LabelChecks, value: Any) -> None:
    assert checks.check(label(value=value), KEY) == []


def test_times_as_written_and_a_label_known_with_its_event_pass() -> None:
    same = label(event_time=EVENT_MS, label_time=EVENT_MS, source=None)
    assert BINARY.check(same, KEY) == []
    without_source = {k: v for k, v in label().items() if k != "source"}  # it has a default
    assert BINARY.check(without_source, KEY) == []


@pytest.mark.parametrize(
    ("checks", "value", "says"),
    [
        (BINARY, 0.5, "binary label is 1.0 (positive) or 0.0, not double 0.5"),
        (BINARY, "1", "not string '1'"),
        (MULTICLASS, "refund", "class 'refund' is not one of the spec's classes"),
        (MULTICLASS, 1.0, "a class name (a string), not double 1.0"),
        (ANY_CLASS, "", "a class name (a string), not string ''"),
        (REGRESSION, float("nan"), "finite number, not double nan"),
        (REGRESSION, float("inf"), "finite number, not double inf"),
        (REGRESSION, "3.5", "finite number, not string '3.5'"),
    ],
)
def test_a_value_that_does_not_fit_the_kind_is_a_label_value_reason(
    checks: LabelChecks, value: Any, says: str
) -> None:
    [reason] = checks.check(label(value=value), KEY)
    assert (reason.rule, reason.field, reason.value) == ("label_value", "value", str(value))
    assert says in reason.message


@pytest.mark.parametrize(
    ("changes", "key", "expected"),
    [
        ({"pipeline": "other"}, KEY, [("label_pipeline", "pipeline")]),
        ({"event_id": ""}, KEY, [("label_join_key", "event_id")]),
        ({"entity_key": " "}, b" ", [("label_join_key", "entity_key")]),
        ({}, b"card-000002", [("label_key", "entity_key")]),
        ({}, None, [("label_key", "entity_key")]),
        ({"label_time": EVENT_MS - 1, "event_time": EVENT_MS}, KEY, [("label_time", "label_time")]),
    ],
)
def test_each_failing_check_is_its_own_reason(
    changes: dict[str, Any], key: bytes | None, expected: list[tuple[str, str]]
) -> None:
    assert rules(BINARY, label(**changes), key) == expected


def test_the_reasons_say_what_is_wrong_and_carry_the_value() -> None:
    reasons = {r.rule: r for r in BINARY.check(label(pipeline="shop"), b"card-9")}
    assert "for pipeline 'shop', not 'fraud'" in reasons["label_pipeline"].message
    assert reasons["label_pipeline"].value == "shop"
    assert "record key is 'card-9', not the entity key 'card-000001'" in (
        reasons["label_key"].message
    )
    assert reasons["label_key"].value == "card-9"
    [early] = BINARY.check(label(label_time=EVENT_MS - 2_000), KEY)
    assert "2000 ms before event_time" in early.message
    assert early.value == "2027-01-15T07:59:58+00:00"
    [keyless] = BINARY.check(label(), None)
    assert keyless.message.startswith("the record has no key") and keyless.value is None


def test_every_failing_check_of_one_label_is_reported() -> None:
    bad = label(pipeline="x", event_id="", value=7.0, label_time=EVENT_MS - 1)
    assert rules(BINARY, bad, None) == [
        ("label_pipeline", "pipeline"),
        ("label_join_key", "event_id"),
        ("label_key", "entity_key"),
        ("label_value", "value"),
        ("label_time", "label_time"),
    ]


def test_a_record_of_another_shape_is_a_schema_problem_and_nothing_else() -> None:
    other = {"pipeline": "fraud", "event_id": 17, "value": 1, "event_time": True, "extra": 1}
    reasons = BINARY.check(other, KEY)
    assert {(r.rule, r.field) for r in reasons} == {
        ("label_schema", "event_id"),
        ("label_schema", "entity_key"),
        ("label_schema", "value"),
        ("label_schema", "event_time"),
        ("label_schema", "label_time"),
    }
    messages = {r.field: r.message for r in reasons}
    assert messages["entity_key"] == "entity_key is missing"
    assert messages["event_id"] == "event_id is long 17, not a string"
    assert messages["event_time"] == "event_time is boolean True, not a timestamp-millis"
    assert rules(BINARY, label(source=3)) == [("label_schema", "source")]
    [not_a_record] = BINARY.check("1.0", KEY)
    assert not_a_record.rule == "label_schema" and "not a str" in not_a_record.message


def test_checks_come_from_the_specs_labels_section() -> None:
    fraud = load_pipeline(FRAUD).spec
    checks = label_checks(fraud)
    assert checks is not None and checks.pipeline == "fraud" and checks.kind == "binary"
    assert label_checks(fraud.model_copy(update={"labels": None})) is None
