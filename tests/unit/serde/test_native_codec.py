"""The native codec (streamops_avro) against fastavro, its reference, on generated schemas.

- encode: whenever the codec writes bytes, they are fastavro's bytes (and fastavro did
  not refuse the value); where it declines, AvroEncoder's result is still fastavro's.
- decode: on every valid encoding it returns fastavro's objects, types included.
- corrupted encodings: it never crashes; it never accepts what fastavro refuses, never
  reads it differently, and refuses more only for the malformations it names.
- the schemas the platform uses are compiled and never declined on their own records.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_reader, schemaless_writer
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

pytest.importorskip(
    "streamops_avro",
    reason="the native codec (streamops-avro) is not installed (make setup skips it "
    "without cargo): nothing to compare with fastavro",
)

from streamops.contracts import load_schema
from streamops_avro import Codec, CorruptAvro, TrailingBytes, UnsupportedSchema
from tests.support.avro_strategies import nullable_only, same, schemas, values
from tests.support.records import PAYMENT_SCHEMA, payment

# More examples: STREAMOPS_FUZZ_EXAMPLES=5000. CI runs the same examples every time.
EXAMPLES = settings(
    max_examples=int(os.environ.get("STREAMOPS_FUZZ_EXAMPLES", "300")),
    derandomize=os.environ.get("CI") == "true",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# What the codec refuses although fastavro reads something (fastavro indexes its lists
# from the end with a negative union or enum index, and reads a negative length as "all").
FRAUD_SCHEMAS = Path(__file__).resolve().parents[3] / "schemas" / "fraud"
LINKED = {"type": "record", "name": "Node", "fields": [{"name": "next", "type": ["null", "Node"]}]}
STRICTER = re.compile(
    r"negative (bytes|string) length|union index -|enum index -|longer than 64 bits"
)
FORGED_COUNT = re.compile(r"zero-byte items|block count out of range")


def fastavro_encode(parsed: Any, value: Any) -> bytes:
    out = io.BytesIO()
    schemaless_writer(out, parsed, value)
    return out.getvalue()


def fastavro_decode(parsed: Any, data: bytes) -> Any:
    stream = io.BytesIO(data)
    value = schemaless_reader(stream, parsed, None)
    if stream.tell() != len(data):
        raise ValueError("trailing bytes")
    return value


@st.composite
def _encoded(draw: st.DrawFn) -> tuple[Any, Codec, bytes]:
    """A schema, its codec, and an encoding of one of its values (by fastavro)."""
    parsed = parse_schema(draw(schemas()))
    value = draw(values(parsed))
    try:
        data = fastavro_encode(parsed, value)
    except Exception:  # a value fastavro refuses: nothing to decode
        assume(False)
    return parsed, Codec(parsed), data


@EXAMPLES
@given(st.data())
def test_encode_writes_fastavros_bytes_or_declines(data: st.DataObject) -> None:
    parsed = parse_schema(data.draw(schemas()))
    value = data.draw(values(parsed))
    written = Codec(parsed).encode(value, b"\x00HEAD")
    try:
        expected: bytes | Exception = fastavro_encode(parsed, value)
    except Exception as exc:
        expected = exc
    if written is not None:
        assert not isinstance(expected, Exception), f"fastavro refuses {value!r}: {expected}"
        assert written == b"\x00HEAD" + expected


@EXAMPLES
@given(st.data())
def test_a_record_given_by_its_values_in_order_is_written_as_its_dict(
    data: st.DataObject,
) -> None:
    parsed = parse_schema(
        {
            "type": "record",
            "name": "Positional",
            "namespace": "streamops.test",
            "fields": [
                {"name": "first", "type": data.draw(schemas())},
                {"name": "second", "type": ["null", "long"]},
            ],
        }
    )
    value = data.draw(values(parsed))
    names = [f["name"] for f in parsed["fields"]]
    assume(isinstance(value, dict) and all(n in value for n in names))
    codec = Codec(parsed)
    expected = codec.encode(value, b"\x00HEAD")
    ordered = [value[n] for n in names]
    assert codec.encode_fields(tuple(ordered), b"\x00HEAD") == expected
    assert codec.encode_fields(ordered, b"\x00HEAD") == expected
    # a count of values that is not the count of fields, or another sequence: declined
    assert codec.encode_fields((*ordered, None)) is None
    assert codec.encode_fields(iter(ordered)) is None


def test_values_in_order_of_a_schema_that_is_not_a_record_are_declined() -> None:
    assert Codec(parse_schema({"type": "array", "items": "long"})).encode_fields((1, 2)) is None


@EXAMPLES
@given(_encoded())
def test_decode_returns_fastavros_objects(case: tuple[Any, Codec, bytes]) -> None:
    parsed, codec, encoded = case
    try:
        expected = fastavro_decode(parsed, encoded)
    except Exception:
        # fastavro writes some values it cannot read back: ints no datetime can hold, an
        # enum symbol sent down an earlier uuid branch of a union ...
        with pytest.raises(CorruptAvro):
            codec.decode(encoded)
        return
    assert same(codec.decode(encoded), expected)
    assert same(codec.decode(b"\x07\x07" + encoded, 2), expected)


@st.composite
def _corrupted(draw: st.DrawFn) -> tuple[Any, Codec, bytes]:
    parsed, codec, encoded = draw(_encoded())
    how = draw(st.sampled_from(["truncate", "flip", "append", "splice"]))
    if how == "truncate":
        assume(encoded)
        return parsed, codec, encoded[: draw(st.integers(0, len(encoded) - 1))]
    if how == "append":
        return parsed, codec, encoded + draw(st.binary(min_size=1, max_size=4))
    assume(encoded)
    at = draw(st.integers(0, len(encoded) - 1))
    if how == "flip":
        return parsed, codec, encoded[:at] + bytes([draw(st.integers(0, 255))]) + encoded[at + 1 :]
    return parsed, codec, encoded[:at] + draw(st.binary(min_size=1, max_size=10)) + encoded[at:]


@EXAMPLES
@given(_corrupted())
def test_corrupted_bytes_are_refused_or_read_as_fastavro_reads_them(
    case: tuple[Any, Codec, bytes],
) -> None:
    parsed, codec, data = case
    try:
        got = codec.decode(data)
    except (CorruptAvro, TrailingBytes) as exc:
        if STRICTER.search(str(exc)) or FORGED_COUNT.search(str(exc)):
            # refused whatever fastavro makes of it, so fastavro is not asked: on a forged
            # block count it builds the list for as long as memory lasts (seen: 8 GiB of
            # an array of empty fixed; 23 GB, then the OOM killer, for a count of -2**63,
            # which fastavro negates; and a count longer than 64 bits, which it wraps)
            return
        refused: Exception | None = exc
    else:
        refused = None
    try:
        expected: Any = fastavro_decode(parsed, data)
    except Exception as exc:
        expected = exc
    if refused is not None:
        assert isinstance(expected, Exception), (
            f"fastavro reads {expected!r}, codec refuses: {refused}"
        )
        return
    assert not isinstance(expected, Exception), f"codec reads {got!r}, fastavro: {expected!r}"
    assert same(got, expected)


def test_fields_missing_from_a_record_take_their_defaults_as_fastavro_writes_them() -> None:
    parsed = parse_schema(
        {
            "type": "record",
            "name": "Defaults",
            "fields": [
                {"name": "a", "type": "long"},
                {"name": "b", "type": ["null", "string"], "default": None},
                {"name": "c", "type": "string", "default": "x"},
                {"name": "d", "type": {"type": "array", "items": "int"}, "default": [1, 2]},
                {"name": "e", "type": ["null", "string"]},  # no default: fastavro writes null
            ],
        }
    )
    codec = Codec(parsed)
    assert codec.encode({"a": 1}) is None  # e: only fastavro knows it writes null
    record = {"a": 1, "e": "y"}
    assert codec.encode(record) == fastavro_encode(parsed, record)
    assert codec.encode({"b": "z"}) is None  # a is missing and has no default


def test_values_only_fastavro_can_judge_are_declined() -> None:
    parsed = parse_schema(PAYMENT_SCHEMA)
    codec = Codec(parsed)
    record = payment(1)
    assert codec.encode(record) == fastavro_encode(parsed, record)
    naive = {**record, "event_time": datetime(2026, 1, 1)}  # fastavro uses the local zone
    assert codec.encode(naive) is None
    assert codec.encode({**record, "card_present": 1}) is None  # fastavro writes truthiness
    assert codec.encode({**record, "amount": "12.5"}) is None  # fastavro raises
    assert codec.encode({**record, "id": None}) is None


def test_unsupported_logical_types_leave_the_schema_to_fastavro() -> None:
    logicals: list[dict[str, Any]] = [
        {"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2},
        {"type": "int", "logicalType": "time-millis"},
        {"type": "long", "logicalType": "local-timestamp-millis"},
    ]
    for logical in logicals:
        schema = {"type": "record", "name": "R", "fields": [{"name": "x", "type": logical}]}
        with pytest.raises(UnsupportedSchema, match=str(logical["logicalType"])):
            Codec(parse_schema(schema))


def test_hostile_block_counts_and_deep_nesting_are_refused_not_obeyed() -> None:
    nulls = Codec(parse_schema({"type": "array", "items": "null"}))
    with pytest.raises(CorruptAvro, match="zero-byte items"):
        nulls.decode(b"\xfe\xff\xff\xff\xff\xff\xff\xff\x7f")  # 2**62 items of nothing
    with pytest.raises(CorruptAvro, match="block count out of range"):
        nulls.decode(b"\xff" * 9 + b"\x01")  # -2**63: no 64-bit count of items is its negation
    with pytest.raises(CorruptAvro, match="longer than 64 bits"):
        # 2**66 + 2**36: fastavro wraps it to a list of 2**36 nulls, until memory runs out
        nulls.decode(b"\x80\x80\x80\x80\x80\x84\x80\x80\x80\x10")
    empty = Codec(
        parse_schema({"type": "array", "items": {"type": "record", "name": "E", "fields": []}})
    )
    started = time.perf_counter()
    with pytest.raises(CorruptAvro, match="zero-byte items"):
        empty.decode(b"\x80\x80\x80\x01" * 64 + b"\x00")  # 64 blocks of 2**20 empty records
    assert time.perf_counter() - started < 1.0
    longs = Codec(parse_schema({"type": "array", "items": "long"}))
    with pytest.raises(CorruptAvro, match="cannot fit"):
        longs.decode(b"\xfe\xff\xff\x0f\x00")
    linked = Codec(parse_schema(LINKED))
    with pytest.raises(CorruptAvro, match="nested deeper"):
        linked.decode(b"\x02" * 100_000)
    assert linked.decode(b"\x02\x02\x00") == {"next": {"next": {"next": None}}}


PLATFORM = [
    "Alert",
    "DeadLetter",
    "Label",
    "Prediction",
    "ModelVersion",
    "Deployment",
    "DataQualityReport",
]


@EXAMPLES
@given(st.data())
def test_values_fastavro_reads_back_are_written_by_the_codec_itself(data: st.DataObject) -> None:
    """Declining is for odd values: the objects fastavro reads are never declined (unions of
    a value or null: a union of two record types is resolved by fastavro's scoring)."""
    parsed = parse_schema(data.draw(schemas().filter(nullable_only)))
    _written_without_declining(parsed, data)


@pytest.mark.parametrize("name", [*PLATFORM, "Transaction"])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_platform_records_are_written_by_the_codec_itself(name: str, data: st.DataObject) -> None:
    schema = load_schema(name, FRAUD_SCHEMAS) if name == "Transaction" else None
    _written_without_declining(parse_schema(schema or load_schema(name)), data)


def _written_without_declining(parsed: Any, data: st.DataObject) -> None:
    value = data.draw(values(parsed))
    try:
        canonical = fastavro_decode(parsed, fastavro_encode(parsed, value))
    except Exception:
        assume(False)
    written = Codec(parsed).encode(canonical)
    assert written is not None, f"declined {canonical!r}"
    assert written == fastavro_encode(parsed, canonical)


def test_named_types_used_again_by_name() -> None:
    parsed = parse_schema(
        {
            "type": "record",
            "name": "Pair",
            "fields": [
                {"name": "a", "type": {"type": "enum", "name": "Side", "symbols": ["L", "R"]}},
                {"name": "b", "type": "Side"},
                {"name": "c", "type": {"type": "array", "items": "Side"}},
            ],
        }
    )
    value = {"a": "R", "b": "L", "c": ["L", "R", "R"]}
    data = fastavro_encode(parsed, value)
    assert Codec(parsed).encode(value) == data
    assert same(Codec(parsed).decode(data), fastavro_decode(parsed, data))


def test_blocks_with_negative_counts_are_read_as_fastavro_reads_them() -> None:
    # [1, 2, 3] as a block of 2, then a block of -1 with its byte size, then the end
    longs = parse_schema({"type": "array", "items": "long"})
    data = bytes([0x04, 0x02, 0x04, 0x01, 0x02, 0x06, 0x00])
    assert Codec(longs).decode(data) == fastavro_decode(longs, data) == [1, 2, 3]
    counts = parse_schema({"type": "map", "values": "long"})
    data = bytes([0x01, 0x04, 0x02, 0x61, 0x02, 0x02, 0x02, 0x62, 0x04, 0x00])
    assert Codec(counts).decode(data) == fastavro_decode(counts, data) == {"a": 1, "b": 2}


def test_recursive_records_nest_as_deep_as_a_thousand_levels() -> None:
    parsed = parse_schema(LINKED)
    codec = Codec(parsed)
    for depth in (0, 1, 255, 256, 400):
        data = b"\x02" * depth + b"\x00"
        value = codec.decode(data)
        assert value == fastavro_decode(parsed, data), depth  # dicts and None: == is enough
        assert codec.encode(value) == data
    assert codec.decode(b"\x02" * 999 + b"\x00") is not None
    with pytest.raises(CorruptAvro, match="nested deeper than 1000"):
        codec.decode(b"\x02" * 1000 + b"\x00")


def test_schemas_it_cannot_compile_are_left_to_fastavro() -> None:
    wrong_size = parse_schema({"type": "fixed", "name": "F", "size": -1})  # fastavro takes it
    with pytest.raises(UnsupportedSchema, match="cannot compile"):
        Codec(wrong_size)
    # a record that must contain itself has no finite value: compiled at once all the same
    fields = [{"name": "a", "type": "boolean"}, {"name": "r", "type": "R"}]
    fields += [{"name": f"n{i}", "type": "null"} for i in range(5000)]
    started = time.perf_counter()
    Codec(parse_schema({"type": "record", "name": "R", "fields": fields}))
    assert time.perf_counter() - started < 1.0


@settings(max_examples=100, deadline=None)
@given(st.integers(-(2**45), 2**45))
def test_timestamps_read_as_fastavro_reads_them_across_the_calendar(ms: int) -> None:
    parsed = parse_schema({"type": "long", "logicalType": "timestamp-millis"})
    data = fastavro_encode(parsed, ms)
    try:
        expected: Any = fastavro_decode(parsed, data)
    except OverflowError:
        with pytest.raises(CorruptAvro, match="outside years"):
            Codec(parsed).decode(data)
        return
    assert same(Codec(parsed).decode(data), expected)
    assert Codec(parsed).encode(expected) == data  # and back, through the aware datetime


def test_dates_match_pythons_calendar_day_by_day() -> None:
    schema = parse_schema({"type": "int", "logicalType": "date"})
    codec = Codec(schema)
    first, last = date(1, 1, 1).toordinal(), date(9999, 12, 31).toordinal()
    modern = range(date(1800, 1, 1).toordinal(), date(2300, 1, 1).toordinal())
    for ordinal in itertools.chain(range(first, last + 1, 89), modern, [first, last]):
        day = date.fromordinal(ordinal)
        data = fastavro_encode(schema, day)
        assert codec.encode(day) == data, day
        assert codec.decode(data) == day
    for outside in (first - 1, last + 1):
        data = fastavro_encode("int", outside - date(1970, 1, 1).toordinal())
        with pytest.raises(CorruptAvro, match="outside years 1-9999"):
            codec.decode(data)


def test_calendar_edges_match_python() -> None:
    ts = Codec(parse_schema({"type": "long", "logicalType": "timestamp-micros"}))
    for moment in (
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2000, 2, 29, 12, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
    ):
        data = ts.encode(moment)
        assert data is not None and ts.decode(data) == moment
