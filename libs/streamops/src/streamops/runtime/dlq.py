"""Turning rejections into DeadLetter records (schemas/platform/DeadLetter.avsc), typed with
the contract's generated TypedDicts (`streamops.contracts.types`)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import cast

from streamops.contracts import types as contract
from streamops.runtime.records import OutRecord, Reason, Rejection


def dead_letter(stage: str, rejection: Rejection, now_ms: int) -> contract.DeadLetter:
    """The DeadLetter record of one rejected input: original bytes, source, every reason."""
    record = rejection.record
    return {
        "stage": stage,
        "source_topic": record.topic,
        "source_partition": record.partition,
        "source_offset": record.offset,
        "source_timestamp": (
            None if record.timestamp_ms is None else _epoch_millis(record.timestamp_ms)
        ),
        "key": record.key,
        "value": record.raw,
        "error_kind": rejection.kind,
        "reasons": [
            {"rule": r.rule, "field": r.field, "value": r.value, "message": r.message}
            for r in rejection.reasons
        ],
        "dead_lettered_at": _epoch_millis(now_ms),
    }


def unencodable_output(
    stage: str, out: OutRecord, error: Exception, now_ms: int, fields: Sequence[str] = ()
) -> contract.DeadLetter:
    """The DeadLetter of an output that has no source record and does not fit its schema.

    Source partition and offset are -1 because the record never was on a topic; the
    value is the record as JSON so that it can be inspected and replayed (a tuple of as
    many values as the schema's ``fields`` with their names).
    """
    value = out.value
    if isinstance(value, tuple) and len(value) == len(fields):
        value = dict(zip(fields, value, strict=True))
    return {
        "stage": stage,
        "source_topic": out.topic,
        "source_partition": -1,
        "source_offset": -1,
        "source_timestamp": None,
        "key": out.key.encode() if isinstance(out.key, str) else out.key,
        "value": json.dumps(value, default=str).encode(),
        "error_kind": "ENCODE",
        "reasons": [_encode_reason(out.topic, error)],
        "dead_lettered_at": _epoch_millis(now_ms),
    }


def encode_rejection(out: OutRecord, error: Exception) -> Reason:
    """The reason an output could not be encoded with its topic's schema."""
    reason = _encode_reason(out.topic, error)
    return Reason(rule=reason["rule"], message=reason["message"])


def _encode_reason(topic: str, error: Exception) -> contract.Reason:
    return {
        "rule": "output_schema",
        "field": None,
        "value": None,
        "message": f"output for {topic} does not fit its schema: {type(error).__name__}: {error}",
    }


def _epoch_millis(ms: int) -> datetime.datetime:
    """A timestamp-millis value as written: the epoch-millis int itself.

    The generated types name what a reader gets back (a datetime); fastavro and the native
    codec write an int for a timestamp-millis field exactly as the datetime it stands for.
    Converting would cost a datetime per dead letter and fail on Kafka timestamps past
    year 9999, which an int carries fine.
    """
    return cast(datetime.datetime, ms)
