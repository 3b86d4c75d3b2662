"""The validation transform on the fraud spec, with a fake clock: no broker needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from streamops.pipeline import Pipeline, load_pipeline
from streamops.runtime import InRecord
from streamops_validation import Validator

FRAUD = Path(__file__).resolve().parents[3] / "deploy" / "pipelines" / "fraud.yaml"


@pytest.fixture(scope="module")
def fraud() -> Pipeline:
    return load_pipeline(FRAUD)


class Clock:
    def __init__(self) -> None:
        self.ms = 1_800_000_000_000

    def __call__(self) -> int:
        return self.ms


def clean(i: int) -> dict[str, Any]:
    return {
        "transaction_id": f"tx-{i:016x}",
        "card_id": f"card-{i % 1000:06d}",
        "customer_id": f"c-{i % 700}",
        "merchant_id": f"m-{i % 5000:05d}",
        "merchant_category": "grocery",
        "amount": 12.5 + i % 100,
        "currency": "EUR",
        "country": "DE",
        "channel": "pos",
        "device_id": None if i % 3 else "d-1",
        "card_number": "ab" * 32,
        "customer_email": None,
        "ip_address": "*******1.2",
        "event_time": 1_800_000_000_000 + i,
        "ingest_time": None,
        "source": "test",
    }


def records(values: list[dict[str, Any]], start: int = 0) -> list[InRecord]:
    return [
        InRecord("fraud.events.raw", 0, start + i, None, None, b"raw", v)
        for i, v in enumerate(values)
    ]


def test_clean_records_pass_and_every_failed_rule_is_a_reason(fraud: Pipeline) -> None:
    validator = Validator(fraud, clock_ms=Clock())
    bad = clean(1) | {"amount": -5.0, "currency": "XXX", "transaction_id": "tx-{oops}"}
    result = validator.validate_batch(records([clean(0), bad, clean(2)]))
    assert [o.value["transaction_id"] for o in result.outputs] == [
        clean(0)["transaction_id"],
        clean(2)["transaction_id"],
    ]
    assert all(o.topic == "fraud.events.valid" and o.source is not None for o in result.outputs)
    [rejection] = result.rejected
    assert rejection.kind == "VALIDATION" and rejection.record.offset == 1
    got = {(r.rule, r.field, r.value) for r in rejection.reasons}
    assert got == {
        ("range", "amount", "-5.0"),
        ("allowed", "currency", "XXX"),
        ("regex", "transaction_id", "tx-{oops}"),
    }
    regex = next(r for r in rejection.reasons if r.rule == "regex")
    assert "tx-[0-9a-f]{16}" in regex.message  # braces in the spec survive into the message


def test_nulls_and_too_long_values(fraud: Pipeline) -> None:
    validator = Validator(fraud, clock_ms=Clock())
    bad = clean(1) | {"amount": None, "merchant_category": "x" * 40}
    [rejection] = validator.validate_batch(records([bad])).rejected
    assert {(r.rule, r.field) for r in rejection.reasons} == {
        ("not_null", "amount"),
        ("max_length", "merchant_category"),
    }


def test_a_repeated_event_id_in_the_window_is_rejected_as_not_unique(fraud: Pipeline) -> None:
    validator = Validator(fraud, clock_ms=Clock())
    first = validator.validate_batch(records([clean(1)]))
    again = validator.validate_batch(records([clean(1)], start=1))
    assert len(first.outputs) == 1 and not first.rejected
    [rejection] = again.rejected
    assert [(r.rule, r.field) for r in rejection.reasons] == [("unique", "transaction_id")]


def test_an_incident_opens_one_alert_and_resolves_it_later(fraud: Pipeline) -> None:
    clock = Clock()
    validator = Validator(fraud, clock_ms=clock)
    window_ms = 30_000  # fraud.yaml: alerts.window 30s, failure_rate 2%, resolve 0.5%
    emitted: list[dict[str, Any]] = []
    n = 0

    def run_window(bad_share: float) -> None:
        nonlocal n
        batch = []
        for _ in range(1000):
            value = clean(n)
            if (n % 1000) < bad_share * 1000:
                value["amount"] = None
            batch.append(value)
            n += 1
        emitted.extend(
            o.value
            for o in validator.validate_batch(records(batch, n)).outputs
            if o.topic == "fraud.alerts"
        )
        clock.ms += window_ms

    for share in (0.0, 0.10, 0.10, 0.10, 0.01, 0.0, 0.0):  # incident over 3 windows
        run_window(share)
    emitted.extend(o.value for o in validator.tick())
    amount = [a for a in emitted if a["subject"] == "not_null:amount"]
    assert [a["state"] for a in amount] == ["OPEN", "RESOLVED"]  # no storm, no flapping
    assert amount[0]["alert_id"] == amount[1]["alert_id"]
    assert amount[0]["kind"] == "DATA_QUALITY" and amount[0]["statistic"] == "failure_rate"
    assert amount[0]["value"] == pytest.approx(0.10) and amount[0]["threshold"] == 0.02


def test_small_windows_are_not_judged(fraud: Pipeline) -> None:
    clock = Clock()
    validator = Validator(fraud, clock_ms=clock)
    bad = [clean(i) | {"amount": None} for i in range(50)]  # 100% bad, but < min_records 200
    validator.validate_batch(records(bad))
    clock.ms += 31_000
    assert [o for o in validator.tick() if o.value["subject"] == "not_null:amount"] == []


def test_window_rules_alert_on_null_rate_and_row_count(fraud: Pipeline) -> None:
    clock = Clock()
    validator = Validator(fraud, clock_ms=clock)
    values = [clean(i) | {"device_id": None} for i in range(300)]  # null rate 1.0 > 0.5
    validator.validate_batch(records(values))
    clock.ms += 61_000
    opened = {o.value["subject"]: o.value for o in validator.tick()}
    assert opened["null_rate:device_id"]["state"] == "OPEN"
    clock.ms += 61_000  # a whole window with no records: row_count {min: 1} breaks
    subjects = {(o.value["subject"], o.value["state"]) for o in validator.tick()}
    assert ("row_count", "OPEN") in subjects
