"""The point-in-time join, without Kafka: what a row's label is at a cut-off."""

from __future__ import annotations

import random
from typing import Any

import pytest

from streamops.dataset.join import (
    LABELLED,
    NEGATIVE_AFTER_DELAY,
    LabelRecord,
    LabelRules,
    join_point_in_time,
)
from streamops.pipeline import load_pipeline
from tests.support.pipelines import FRAUD

MINUTE = 60_000
HOUR = 60 * MINUTE
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
BINARY = LabelRules("event_id", "binary", expected_delay_ms=HOUR, negative_after_delay=True)


def features(event_id: str, at: int, **extra: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "entity_key": "card-000001",
        "event_time": at,
        "source_topic": "p.events.valid",
        "source_partition": 0,
        "source_offset": int(event_id.removeprefix("e")),
        "late": False,
        "count_10m": 1,
        **extra,
    }


def label(event_id: str, value: float | str, at: int, offset: int = 0) -> LabelRecord:
    return LabelRecord(event_id, value, at, partition=0, offset=offset)


def labels_of(rows: list[dict[str, Any]]) -> dict[str, tuple[Any, str, int | None]]:
    return {r["event_id"]: (r["label"], r["label_source"], r["label_time"]) for r in rows}


def test_a_label_from_after_the_cut_off_is_not_used() -> None:
    events = [features("e1", T0)]
    fraud = [label("e1", 1.0, T0 + 30 * MINUTE)]

    before = join_point_in_time(events, fraud, BINARY, cutoff_ms=T0 + 29 * MINUTE)
    assert before.rows == []  # not known yet, the delay has not passed: left out
    assert before.counts.unlabelled == 1
    assert before.counts.labels_after_cutoff == 1

    at = join_point_in_time(events, fraud, BINARY, cutoff_ms=T0 + 30 * MINUTE)
    assert labels_of(at.rows) == {"e1": (1.0, LABELLED, T0 + 30 * MINUTE)}  # inclusive


def test_a_late_label_does_not_turn_a_negative_by_delay_positive() -> None:
    # the chargeback came two hours after the event, past the expected delay (1 h)
    events = [features("e1", T0)]
    fraud = [label("e1", 1.0, T0 + 2 * HOUR)]
    joined = join_point_in_time(events, fraud, BINARY, cutoff_ms=T0 + 90 * MINUTE)
    assert labels_of(joined.rows) == {"e1": (0.0, NEGATIVE_AFTER_DELAY, None)}
    assert joined.counts.negatives_by_delay == 1
    assert joined.counts.positives == 0
    later = join_point_in_time(events, fraud, BINARY, cutoff_ms=T0 + 2 * HOUR)
    assert labels_of(later.rows) == {"e1": (1.0, LABELLED, T0 + 2 * HOUR)}


def test_negative_after_delay_only_once_the_delay_has_passed_by_the_cut_off() -> None:
    events = [features("e1", T0), features("e2", T0 + 10 * MINUTE)]
    joined = join_point_in_time(events, [], BINARY, cutoff_ms=T0 + HOUR)
    assert labels_of(joined.rows) == {"e1": (0.0, NEGATIVE_AFTER_DELAY, None)}
    assert joined.counts.unlabelled == 1  # e2's hour is not over

    no_rule = LabelRules("event_id", "binary", HOUR, negative_after_delay=False)
    assert join_point_in_time(events, [], no_rule, cutoff_ms=T0 + 5 * HOUR).rows == []


@pytest.mark.parametrize(("kind", "value"), [("regression", 12.5), ("multiclass", "gold")])
def test_negative_after_delay_is_ignored_when_there_is_no_negative_class(
    kind: Any, value: float | str
) -> None:
    rules = LabelRules("event_id", kind, HOUR, negative_after_delay=True)
    events = [features("e1", T0), features("e2", T0)]
    joined = join_point_in_time(events, [label("e1", value, T0)], rules, cutoff_ms=T0 + 9 * HOUR)
    assert labels_of(joined.rows) == {"e1": (value, LABELLED, T0)}
    assert joined.counts.unlabelled == 1
    assert joined.counts.positives is None and joined.counts.negatives_by_label is None


def test_the_latest_label_known_at_the_cut_off_wins() -> None:
    events = [features("e1", T0)]
    history = [
        label("e1", 0.0, T0 + 3 * HOUR, offset=3),  # a correction, read before the others
        label("e1", 1.0, T0 + 10 * MINUTE, offset=1),
        label("e1", 0.0, T0 + 20 * MINUTE, offset=2),
    ]
    at = {
        cutoff: labels_of(join_point_in_time(events, history, BINARY, cutoff).rows)["e1"]
        for cutoff in (T0 + 15 * MINUTE, T0 + 2 * HOUR, T0 + 3 * HOUR)
    }
    assert at == {
        T0 + 15 * MINUTE: (1.0, LABELLED, T0 + 10 * MINUTE),
        T0 + 2 * HOUR: (0.0, LABELLED, T0 + 20 * MINUTE),
        T0 + 3 * HOUR: (0.0, LABELLED, T0 + 3 * HOUR),
    }


def test_on_a_tie_in_label_time_the_later_offset_wins() -> None:
    events = [features("e1", T0)]
    tied = [label("e1", 0.0, T0, offset=8), label("e1", 1.0, T0, offset=5)]
    assert labels_of(join_point_in_time(events, tied, BINARY, T0).rows)["e1"][0] == 0.0
    tied = [label("e1", 1.0, T0, offset=8), label("e1", 0.0, T0, offset=5)]
    assert labels_of(join_point_in_time(events, tied, BINARY, T0).rows)["e1"][0] == 1.0


def test_features_after_the_cut_off_are_not_rows_and_late_ones_are() -> None:
    events = [features("e1", T0, late=True), features("e2", T0 + HOUR + 1)]
    joined = join_point_in_time(events, [label("e2", 1.0, T0)], BINARY, cutoff_ms=T0 + HOUR)
    assert [(r["event_id"], r["late"]) for r in joined.rows] == [("e1", True)]
    assert joined.counts.features_after_cutoff == 1
    assert joined.counts.features_read == 2


def test_the_join_uses_the_spec_join_field_when_it_is_not_the_event_id() -> None:
    rules = LabelRules("order_id", "binary", HOUR, negative_after_delay=False)
    events = [features("e1", T0, order_id="o-9")]
    joined = join_point_in_time(events, [label("o-9", 1.0, T0), label("e1", 0.0, T0)], rules, T0)
    assert labels_of(joined.rows) == {"e1": (1.0, LABELLED, T0)}


def test_labels_that_do_not_fit_the_kind_are_ignored_and_counted() -> None:
    events = [features("e1", T0), features("e2", T0), features("e3", T0)]
    odd = [label("e1", "fraud", T0), label("e2", 0.5, T0), label("e3", 1.0, T0)]
    rules = LabelRules("event_id", "binary", HOUR, negative_after_delay=False)
    joined = join_point_in_time(events, odd, rules, T0)
    assert labels_of(joined.rows) == {"e3": (1.0, LABELLED, T0)}
    assert joined.counts.labels_ignored == 2


def test_rows_come_out_in_event_time_then_event_id_order_whatever_the_input_order() -> None:
    events = [features(f"e{n}", T0 + (n % 4) * MINUTE) for n in range(40)]
    labels = [label(f"e{n}", float(n % 2), T0 + 5 * MINUTE) for n in range(40)]
    expected = join_point_in_time(events, labels, BINARY, T0 + HOUR).rows
    assert [(r["event_time"], r["event_id"]) for r in expected] == sorted(
        (r["event_time"], r["event_id"]) for r in expected
    )
    shuffled = random.Random(3)
    for _ in range(5):
        shuffled.shuffle(events)
        shuffled.shuffle(labels)
        assert join_point_in_time(events, labels, BINARY, T0 + HOUR).rows == expected


def test_the_rules_come_from_the_spec() -> None:
    rules = LabelRules.from_spec(load_pipeline(FRAUD).spec)
    assert rules == LabelRules("event_id", "binary", 3 * 24 * HOUR, negative_after_delay=True)
