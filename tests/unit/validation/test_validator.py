"""The validation transform on the fraud spec, with a fake clock and in-memory state."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from streamops.pipeline import Pipeline, load_pipeline
from streamops.runtime import InRecord
from tests.unit.validation.harness import LABELS, TOPICS, Cluster

FRAUD = Path(__file__).resolve().parents[3] / "deploy" / "pipelines" / "fraud.yaml"
RATE_WINDOW_MS = 30_000  # fraud.yaml: alerts.window 30s, failure_rate 2%, resolve 0.5%


@pytest.fixture(scope="module")
def fraud() -> Pipeline:
    return load_pipeline(FRAUD)


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


def test_clean_records_pass_and_every_failed_rule_is_a_reason(fraud: Pipeline) -> None:
    cluster = Cluster(fraud)
    bad = clean(1) | {"amount": -5.0, "currency": "XXX", "transaction_id": "tx-{oops}"}
    result = cluster.send([clean(0), bad, clean(2)])
    valid = [o for o in result.outputs if o.topic == TOPICS.valid]
    assert [o.value["transaction_id"] for o in valid] == [
        clean(0)["transaction_id"],
        clean(2)["transaction_id"],
    ]
    assert all(o.source is not None for o in valid)
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
    bad = clean(1) | {"amount": None, "merchant_category": "x" * 40}
    [rejection] = Cluster(fraud).send([bad]).rejected
    assert {(r.rule, r.field) for r in rejection.reasons} == {
        ("not_null", "amount"),
        ("max_length", "merchant_category"),
    }


def test_a_repeated_event_id_in_the_window_is_rejected_as_not_unique(fraud: Pipeline) -> None:
    cluster = Cluster(fraud)
    first = cluster.send([clean(1)])
    again = cluster.send([clean(1)])
    assert not first.rejected
    [rejection] = again.rejected
    assert [(r.rule, r.field) for r in rejection.reasons] == [("unique", "transaction_id")]
    cluster.clock.ms += 60_000  # the next quality window (1m): seen afresh
    assert not cluster.send([clean(1)]).rejected


def test_a_batch_redone_after_an_abort_is_not_a_duplicate_of_itself(fraud: Pipeline) -> None:
    cluster = Cluster(fraud)
    replica = cluster.replicas[0]
    records = [cluster._record(TOPICS.raw, 0, clean(i)) for i in range(100)]
    replica.state.begin()
    replica.validator.validate_batch(records)
    replica.state.prepare_commit({})
    replica.state.rollback()  # the transaction aborted
    result = replica.run(records)  # the same batch again
    assert not result.rejected


def incident(cluster: Cluster, shares: list[float], partitions: int = 1, first: int = 0) -> None:
    """A rate window per share: 1,000 events spread over the partitions, that share bad."""
    n = first
    for share in shares:
        batches: dict[int, list[dict[str, Any]]] = {}
        for _ in range(1000):
            value = clean(n)
            if (n % 1000) < share * 1000:
                value["amount"] = None
            batches.setdefault(n % partitions, []).append(value)
            n += 1
        for p, values in batches.items():
            cluster.send(values, partition=p)
        cluster.clock.ms += RATE_WINDOW_MS
        cluster.tick()


def amount_alerts(cluster: Cluster) -> list[dict[str, Any]]:
    return [a for a in cluster.alerts if a["subject"] == "not_null:amount"]


def test_an_incident_opens_one_alert_and_resolves_it_later(fraud: Pipeline) -> None:
    cluster = Cluster(fraud)
    incident(cluster, [0.0, 0.10, 0.10, 0.10, 0.01, 0.0, 0.0])  # incident over 3 windows
    amount = [a for a in cluster.alerts if a["subject"] == "not_null:amount"]
    assert [a["state"] for a in amount] == ["OPEN", "RESOLVED"]  # no storm, no flapping
    assert amount[0]["alert_id"] == amount[1]["alert_id"]
    assert amount[0]["kind"] == "DATA_QUALITY" and amount[0]["statistic"] == "failure_rate"
    assert amount[0]["value"] == pytest.approx(0.10) and amount[0]["threshold"] == 0.02


@pytest.mark.parametrize(("partitions", "replicas"), [(1, 1), (6, 1), (6, 2), (6, 3)])
def test_verdicts_do_not_depend_on_the_number_of_replicas(
    fraud: Pipeline, partitions: int, replicas: int
) -> None:
    reference = Cluster(fraud)
    incident(reference, [0.0, 0.10, 0.10, 0.01, 0.0])
    cluster = Cluster(fraud, partitions, replicas)
    incident(cluster, [0.0, 0.10, 0.10, 0.01, 0.0], partitions)
    assert cluster.alerts == reference.alerts  # the same alerts, ids and values included
    assert [a["state"] for a in cluster.alerts if a["subject"] == "not_null:amount"] == [
        "OPEN",
        "RESOLVED",
    ]
    assert {r["partition"] for r in cluster.reports} == set(range(partitions))


def test_the_owner_waits_for_a_late_partition_then_judges_without_it(fraud: Pipeline) -> None:
    cluster = Cluster(fraud, partitions=2, replicas=2)
    silent = cluster.replicas[1]  # holds partition 1 and never ticks: as if it were down
    cluster.replicas = [cluster.replicas[0]]
    bad = [clean(i) | {"amount": None} for i in range(300)]
    cluster.send(bad, partition=0)
    cluster.clock.ms += RATE_WINDOW_MS
    cluster.tick()
    assert amount_alerts(cluster) == []  # partition 1's report is not in yet
    cluster.clock.ms += 10_000
    cluster.tick()
    assert amount_alerts(cluster) == [], "no report says the grace has passed yet"
    cluster.clock.ms += RATE_WINDOW_MS - 10_000  # the next interval's reports are 30 s late
    cluster.tick()
    assert [a["state"] for a in amount_alerts(cluster)] == ["OPEN"]
    assert silent.state.assigned == {1}


def test_a_lagging_owner_does_not_judge_before_reading_the_reports(fraud: Pipeline) -> None:
    cluster = Cluster(fraud, partitions=2, replicas=2)
    cluster.tick()
    cluster.send([clean(i) for i in range(300)], partition=0)
    cluster.send([clean(i) | {"amount": None} for i in range(300, 600)], partition=1)
    owner = cluster.owner()
    cluster.clock.ms += 5 * RATE_WINDOW_MS  # the owner's own clock is far past any grace
    owner.state.begin()  # ... but it has read no report of the windows yet: nothing judged
    assert owner.validator.owner.decide(owner.state.partition("windows", 0)) == []
    owner.state.rollback()
    cluster.tick()  # the reports come in, both partitions': 50% fail, the alert opens
    [opened] = amount_alerts(cluster)
    assert opened["state"] == "OPEN" and opened["value"] == pytest.approx(0.5)


def test_small_windows_are_not_judged(fraud: Pipeline) -> None:
    cluster = Cluster(fraud)
    cluster.send([clean(i) | {"amount": None} for i in range(50)])  # 100% bad, < 200 records
    cluster.clock.ms += 31_000
    cluster.tick()
    assert [a for a in cluster.alerts if a["subject"] == "not_null:amount"] == []


def test_window_rules_alert_on_null_rate_and_row_count(fraud: Pipeline) -> None:
    cluster = Cluster(fraud)
    cluster.tick()  # the partition starts at a window's start: the window is seen whole
    cluster.send([clean(i) | {"device_id": None} for i in range(300)])  # null rate 1.0 > 0.5
    cluster.clock.ms += 61_000
    cluster.tick()
    opened = {a["subject"]: a for a in cluster.alerts}
    assert opened["null_rate:device_id"]["state"] == "OPEN"
    assert "row_count" not in opened
    cluster.clock.ms += 61_000  # a whole window with no records: row_count {min: 1} breaks
    cluster.tick()
    assert ("row_count", "OPEN") in {(a["subject"], a["state"]) for a in cluster.alerts}


def test_a_window_seen_only_in_part_is_not_judged_on_its_row_count(fraud: Pipeline) -> None:
    cluster = Cluster(fraud)
    cluster.clock.ms += 45_000  # started in the middle of a quality window, and silent
    cluster.tick()
    cluster.clock.ms += 20_000
    cluster.tick()
    assert [a for a in cluster.alerts if a["subject"] == "row_count"] == []


def test_open_alerts_survive_a_new_owner(fraud: Pipeline) -> None:
    cluster = Cluster(fraud)
    incident(cluster, [0.10])
    [opened] = amount_alerts(cluster)
    old = cluster.replicas[0]
    old.state.revoke({0})  # rebalanced away; a new replica restores it from the changelog
    cluster.replicas[0] = type(old)(fraud, 1, {0}, cluster.clock, cluster.changelog, name="new")
    incident(cluster, [0.0], first=1000)
    [_, resolved] = amount_alerts(cluster)
    assert resolved["state"] == "RESOLVED" and resolved["alert_id"] == opened["alert_id"]


def test_a_report_after_its_windows_were_judged_is_dropped(fraud: Pipeline) -> None:
    cluster = Cluster(fraud, partitions=2, replicas=2)
    cluster.tick()  # both replicas start counting their partitions
    late = cluster.replicas.pop()  # partition 1's replica, which then does not tick in time
    cluster.send([clean(i) for i in range(300)], partition=0)
    cluster.clock.ms += 60_000 + 10_000  # past both windows (30 s, 1 min) and the grace
    cluster.tick()
    reports = [o.value for o in late.tick().outputs if o.topic == TOPICS.partials]
    assert reports, "the late replica does report, once it comes round"
    owner = cluster.owner()
    owner.state.begin()
    state = owner.state.partition("windows", 0)
    assert [owner.validator.owner.combine(state, dict(r)) for r in reports] == [False] * len(
        reports
    )


def chargeback(i: int, **changes: Any) -> dict[str, Any]:
    """A good binary Label of clean(i), as it reads back from fraud.labels."""
    event = clean(i)
    return {
        "pipeline": "fraud",
        "event_id": event["transaction_id"],
        "entity_key": event["card_id"],
        "value": 1.0,
        "event_time": event["event_time"],
        "label_time": event["event_time"] + 60_000,
        "source": "chargebacks",
    } | changes


def label_record(cluster: Cluster, value: dict[str, Any], partition: int = 0) -> InRecord:
    return cluster._record(LABELS.source, partition, value, value["entity_key"].encode())


def test_good_labels_go_to_labels_valid_unchanged_and_bad_ones_are_rejected(
    fraud: Pipeline,
) -> None:
    cluster = Cluster(fraud)
    good, wrong_kind, early = (
        chargeback(1),
        chargeback(2, value=0.5),
        chargeback(3, label_time=clean(3)["event_time"] - 1),
    )
    records = [label_record(cluster, v) for v in (good, wrong_kind, early)]
    result = cluster.send_records([cluster._record(TOPICS.raw, 0, clean(0)), *records])
    [valid_label] = [o for o in result.outputs if o.topic == LABELS.valid]
    assert valid_label.value == good and valid_label.key == good["entity_key"].encode()
    assert valid_label.source is records[0]
    assert [o.value["transaction_id"] for o in result.outputs if o.topic == TOPICS.valid] == [
        clean(0)["transaction_id"]
    ]
    assert [(r.record.offset, r.kind, [x.rule for x in r.reasons]) for r in result.rejected] == [
        (1, "VALIDATION", ["label_value"]),
        (2, "VALIDATION", ["label_time"]),
    ]
    assert all(r.record.topic == LABELS.source for r in result.rejected)
    metrics = cluster.replicas[0].metrics
    assert metrics.labels.labels("fraud", "valid")._value.get() == 1
    assert metrics.labels.labels("fraud", "invalid")._value.get() == 2
    assert metrics.records.labels("fraud", "valid")._value.get() == 1  # the one event


def test_labels_count_in_no_quality_window_report_or_alert(fraud: Pipeline) -> None:
    cluster = Cluster(fraud)
    cluster.tick()  # the partition starts at a window's start
    cluster.send([clean(i) | {"device_id": "d-1"} for i in range(300)])  # no alert of their own
    bad_labels = [chargeback(i, pipeline="other", value=2.0) for i in range(500)]
    result = cluster.send_records([label_record(cluster, v) for v in bad_labels])
    assert len(result.rejected) == 500
    cluster.clock.ms += 61_000
    cluster.tick()
    assert sum(r["window"]["record_count"] for r in cluster.reports) == 300  # the events only
    assert all(r["invalid_count"] == 0 for r in cluster.reports)
    assert all(not rule["rule"].startswith("label") for r in cluster.reports for rule in r["rules"])
    assert cluster.alerts == []


def test_without_a_labels_section_label_records_are_left_alone(fraud: Pipeline) -> None:
    unlabelled = dataclasses.replace(fraud, spec=fraud.spec.model_copy(update={"labels": None}))
    cluster = Cluster(unlabelled)
    result = cluster.send_records([label_record(cluster, chargeback(1, value=0.5))])
    assert result.outputs == [] and result.rejected == []
