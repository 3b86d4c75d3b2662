"""Record preparation: field-level errors that name the field, stamps, PII treatment."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

import pytest

from streamops.events.ids import IdFormat
from streamops.events.prepare import Prepared, RecordPreparer, Rejected
from streamops.pipeline.pii import PiiTreatment
from tests.unit.events.samples import SALT, fraud_pipeline, transaction

NOW_MS = 1_800_000_000_000


@pytest.fixture
def preparer() -> RecordPreparer:
    pipeline = fraud_pipeline()
    return RecordPreparer(
        pipeline, IdFormat("tx-", 16), PiiTreatment(pipeline.spec.pii, SALT), clock=lambda: NOW_MS
    )


def prepared(preparer: RecordPreparer, data: Any, **kwargs: Any) -> Prepared:
    outcome = preparer.prepare(data, source="http", **kwargs)
    assert isinstance(outcome, Prepared), outcome
    return outcome


def rejected(
    preparer: RecordPreparer, data: Any, **kwargs: Any
) -> list[tuple[str | None, str, str]]:
    outcome = preparer.prepare(data, source="http", **kwargs)
    assert isinstance(outcome, Rejected), outcome
    return [(e.field, e.reason, e.message) for e in outcome.errors]


def test_a_valid_event_becomes_a_full_record(preparer: RecordPreparer) -> None:
    out = prepared(preparer, transaction())
    record = out.record
    assert set(record) == set(preparer.fields)
    assert record["amount"] == 12.5 and record["card_id"] == "card-000042"
    assert record["event_time"] == 1_777_636_800_000  # 2026-05-01T12:00:00Z
    assert out.key == "card-000042"


def test_wrong_type_names_the_field_the_type_and_the_value(preparer: RecordPreparer) -> None:
    errors = rejected(preparer, transaction(amount="abc"))
    assert errors == [
        ("amount", "wrong_type", "amount: expected a number (double) or null, got 'abc'")
    ]


def test_every_error_of_an_event_is_reported(preparer: RecordPreparer) -> None:
    event = transaction(amount=True, country=7, colour="red")
    del event["card_id"]
    errors = {field: (reason, message) for field, reason, message in rejected(preparer, event)}
    assert set(errors) == {"amount", "country", "colour", "card_id"}
    assert errors["amount"] == (
        "wrong_type",
        "amount: expected a number (double) or null, got true",
    )
    assert (
        errors["country"][0] == "wrong_type"
        and "expected a string or null, got 7" in (errors["country"][1])
    )
    assert errors["colour"][0] == "unknown_field"
    assert "not in the schema Transaction" in errors["colour"][1]
    assert errors["card_id"] == (
        "missing_field",
        "card_id: expected a string, got nothing (the field is required)",
    )


def test_unknown_field_suggests_the_closest_name(preparer: RecordPreparer) -> None:
    [(field, reason, message)] = rejected(preparer, transaction(ammount=3.0))
    assert (field, reason) == ("ammount", "unknown_field")
    assert message.endswith("did you mean 'amount'?")


def test_null_for_a_required_field_is_missing(preparer: RecordPreparer) -> None:
    [(field, reason, message)] = rejected(preparer, transaction(event_time=None))
    assert (field, reason) == ("event_time", "missing_field")
    assert message == ("event_time: expected a timestamp (epoch millis or ISO-8601), got null")


@pytest.mark.parametrize(
    ("value", "millis"),
    [
        (1_777_636_800_123, 1_777_636_800_123),
        (1_777_636_800_123.0, 1_777_636_800_123),
        ("1777636800123", 1_777_636_800_123),
        ("2026-05-01T12:00:00.123Z", 1_777_636_800_123),
        ("2026-05-01T14:00:00.123+02:00", 1_777_636_800_123),
        ("2026-05-01 12:00:00.123", 1_777_636_800_123),  # no offset: UTC
    ],
)
def test_timestamps_are_epoch_millis_or_iso_8601(
    preparer: RecordPreparer, value: Any, millis: int
) -> None:
    assert prepared(preparer, transaction(event_time=value)).record["event_time"] == millis


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00", True, [1]])
def test_a_bad_timestamp_names_the_field(preparer: RecordPreparer, value: Any) -> None:
    [(field, reason, message)] = rejected(preparer, transaction(event_time=value))
    assert (field, reason) == ("event_time", "bad_timestamp")
    assert message.startswith("event_time: expected a timestamp (epoch millis or ISO-8601), got ")


def test_the_event_id_is_stamped_when_absent_and_kept_when_given(
    preparer: RecordPreparer,
) -> None:
    stamped = prepared(preparer, transaction())
    assert re.fullmatch(r"tx-[0-9a-f]{16}", stamped.event_id)
    assert stamped.record["transaction_id"] == stamped.event_id
    again = prepared(preparer, transaction(transaction_id=None))
    assert re.fullmatch(r"tx-[0-9a-f]{16}", again.event_id) and again.event_id != stamped.event_id
    given = prepared(preparer, transaction(transaction_id="tx-00000000000000ab"))
    assert given.event_id == "tx-00000000000000ab"


def test_ingest_time_is_always_stamped_and_source_only_when_absent(
    preparer: RecordPreparer,
) -> None:
    record = prepared(preparer, transaction(ingest_time=5)).record
    assert record["ingest_time"] == NOW_MS
    assert record["source"] == "http"
    assert prepared(preparer, transaction(source="pos-gateway")).record["source"] == "pos-gateway"


def test_pii_is_treated_before_the_record_leaves(preparer: RecordPreparer) -> None:
    record = prepared(preparer, transaction()).record
    expected_hash = hmac.new(SALT.encode(), b"4111111111111111", hashlib.sha256).hexdigest()
    assert record["card_number"] == expected_hash
    assert record["customer_email"] is None
    assert record["ip_address"] == "*********0.77"
    assert "4111111111111111" not in repr(record) and "jane@" not in repr(record)


def test_pii_values_never_show_in_error_messages(preparer: RecordPreparer) -> None:
    [(field, reason, message)] = rejected(preparer, transaction(card_number=4111111111111111))
    assert (field, reason) == ("card_number", "wrong_type")
    assert "4111" not in message and "value hidden: PII" in message


def test_a_non_object_is_rejected_as_a_whole(preparer: RecordPreparer) -> None:
    assert rejected(preparer, [1, 2]) == [
        (None, "not_an_object", "expected a JSON object, got [1, 2]")
    ]


def test_csv_text_is_converted_per_the_schema(preparer: RecordPreparer) -> None:
    text = {k: (None if v is None else str(v)) for k, v in transaction().items()}
    text["amount"] = "12.50"
    text["event_time"] = "1777636800000"
    record = prepared(preparer, text, text=True).record
    assert record["amount"] == 12.5 and isinstance(record["amount"], float)
    assert record["event_time"] == 1_777_636_800_000
    assert record["device_id"] is None


def test_csv_text_errors_name_the_field(preparer: RecordPreparer) -> None:
    text = {k: (None if v is None else str(v)) for k, v in transaction().items()}
    text["amount"] = "12,50"
    text["event_time"] = "soon"
    text["card_id"] = None  # an empty cell
    errors = rejected(preparer, text, text=True)
    assert errors == [
        ("card_id", "missing_field", "card_id: expected a string, got an empty cell"),
        ("amount", "wrong_type", "amount: expected a number (double) or null, got '12,50'"),
        (
            "event_time",
            "bad_timestamp",
            "event_time: expected a timestamp (epoch millis or ISO-8601), got 'soon'",
        ),
    ]
