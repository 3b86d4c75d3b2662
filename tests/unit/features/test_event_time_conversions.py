"""Epoch milliseconds to the datetime fastavro reads a timestamp-millis as, and back."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import fastavro
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamops.features import event_time_ms, utc_datetime

TIMESTAMP = fastavro.parse_schema({"type": "long", "logicalType": "timestamp-millis"})


@given(st.integers(min_value=0, max_value=253_402_300_799_999))  # to the end of year 9999
def test_utc_datetime_is_what_fastavro_reads_and_event_time_ms_its_inverse(ms: int) -> None:
    body = io.BytesIO()
    fastavro.schemaless_writer(body, TIMESTAMP, ms)
    body.seek(0)
    read = fastavro.schemaless_reader(body, TIMESTAMP, None)
    assert utc_datetime(ms) == read
    assert utc_datetime(ms).tzinfo is UTC
    assert event_time_ms(utc_datetime(ms)) == ms


def test_event_time_ms_takes_a_datetime_or_milliseconds_and_refuses_the_rest() -> None:
    assert event_time_ms(datetime(2026, 12, 5, 20, 0, tzinfo=UTC)) == 1_796_500_800_000
    assert event_time_ms(1_796_500_800_000) == 1_796_500_800_000
    for wrong in (True, 1.5, "2026-12-05"):
        with pytest.raises(TypeError, match="not an event time"):
            event_time_ms(wrong)
