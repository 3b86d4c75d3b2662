"""Value converters of every Avro type the preparer checks itself, JSON values and CSV text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from streamops.events.convert import make_converter
from streamops.events.errors import ValueProblem


def convert(kind: str, value: Any, *, text: bool = False, **options: Any) -> Any:
    return make_converter(kind, nullable=options.pop("nullable", False), text=text, **options)(
        value
    )


def problem(kind: str, value: Any, **options: Any) -> tuple[str, str]:
    with pytest.raises(ValueProblem) as caught:
        convert(kind, value, **options)
    return caught.value.reason, caught.value.message


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("string", "x", "x"),
        ("long", 3, 3),
        ("long", 3.0, 3),
        ("int", -(2**31), -(2**31)),
        ("double", 2, 2.0),
        ("float", 1.5, 1.5),
        ("boolean", False, False),
        ("timestamp-micros", "1970-01-01T00:00:01Z", 1_000_000),
        ("timestamp-millis", datetime(2026, 1, 1, tzinfo=UTC), 1_767_225_600_000),
        ("timestamp-millis", datetime(2026, 1, 1), 1_767_225_600_000),  # naive: UTC
        ("timestamp-millis", "2026-01-01t00:00:00z", 1_767_225_600_000),  # RFC 3339 allows it
        ("timestamp-millis", " -12 ", -12),
        ("float", 3.4028234663852886e38, 3.4028234663852886e38),
        ("string", "\U0001f600", "\U0001f600"),  # from the JSON pair "\ud83d\ude00"
    ],
)
def test_json_values_of_the_right_type_pass(kind: str, value: Any, expected: Any) -> None:
    result = convert(kind, value)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(
    ("kind", "value", "reason", "message"),
    [
        ("string", 5, "wrong_type", "expected a string, got 5"),
        ("long", "5", "wrong_type", "expected an integer (long), got '5'"),
        ("long", 2.5, "wrong_type", "expected an integer (long), got 2.5"),
        ("long", True, "wrong_type", "expected an integer (long), got true"),
        ("int", 2**31, "out_of_range", "2147483648 does not fit an integer (int)"),
        ("long", 2**63, "out_of_range", "9223372036854775808 does not fit an integer (long)"),
        ("double", "1.5", "wrong_type", "expected a number (double), got '1.5'"),
        ("double", None, "wrong_type", "expected a number (double), got null"),
        ("boolean", "true", "wrong_type", "expected a boolean, got 'true'"),
        ("string", {"a": 1}, "wrong_type", 'expected a string, got {"a": 1}'),
        # found by review: int() refused what str.isdigit() let through (a 500 over HTTP)
        (
            "timestamp-millis",
            "--5",
            "bad_timestamp",
            "expected a timestamp (epoch millis or ISO-8601), got '--5'",
        ),
        (
            "timestamp-millis",
            "²",
            "bad_timestamp",
            "expected a timestamp (epoch millis or ISO-8601), got '²'",
        ),
        # the Avro writers store inf for a float out of range
        ("float", 1e39, "out_of_range", "1e+39 does not fit a number (float) (±3.402823e+38)"),
        # a lone surrogate is no text: the HMAC of a PII field raised (a 500 over HTTP)
        (
            "string",
            "a\ud800",
            "wrong_type",
            "expected a string, got text with a lone UTF-16 surrogate",
        ),
    ],
)
def test_json_values_of_the_wrong_type_say_what_was_expected(
    kind: str, value: Any, reason: str, message: str
) -> None:
    assert problem(kind, value) == (reason, message)


def test_long_values_are_cut_in_messages() -> None:
    _, message = problem("long", "x" * 100)
    assert message == "expected an integer (long), got '" + "x" * 40 + "…'"


def test_nullable_fields_say_so() -> None:
    assert problem("long", "x", nullable=True)[1] == "expected an integer (long) or null, got 'x'"


def test_enum_symbols() -> None:
    symbols = ("pos", "web")
    assert convert("enum", "web", symbols=symbols) == "web"
    assert problem("enum", "atm", symbols=symbols) == (
        "enum_symbol",
        "expected one of pos, web, got 'atm'",
    )
    assert problem("enum", 3, symbols=symbols)[0] == "wrong_type"


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("long", "42", 42),
        ("long", " 42 ", 42),
        ("long", "42.0", 42),  # pandas writes integer columns with nulls as floats
        ("double", "1e3", 1000.0),
        ("boolean", "TRUE", True),
        ("boolean", "0", False),
        ("timestamp-millis", "1000", 1000),
        ("timestamp-millis", "1970-01-01T00:00:01+00:00", 1000),
        ("string", "12", "12"),
        ("array", "[1, 2]", [1, 2]),
    ],
)
def test_csv_text_is_parsed_per_type(kind: str, text: str, expected: Any) -> None:
    assert convert(kind, text, text=True) == expected


@pytest.mark.parametrize(
    ("kind", "text", "reason"),
    [
        ("long", "4x", "wrong_type"),
        ("long", "4.5", "wrong_type"),
        ("int", "99999999999", "out_of_range"),
        ("double", "nan", "wrong_type"),
        ("double", "inf", "wrong_type"),
        ("boolean", "maybe", "wrong_type"),
        ("timestamp-millis", "someday", "bad_timestamp"),
        ("array", "[1,", "wrong_type"),
    ],
)
def test_csv_text_that_does_not_parse_is_a_problem(kind: str, text: str, reason: str) -> None:
    assert problem(kind, text, text=True)[0] == reason


def test_hidden_values_show_only_their_type() -> None:
    assert problem("long", "secret", hide=True, text=True)[1] == (
        "expected an integer (long), got a string (value hidden: PII)"
    )
