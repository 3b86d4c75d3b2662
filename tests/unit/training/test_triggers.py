"""When the training service starts a job: the retraining policy in event time."""

from __future__ import annotations

from datetime import timedelta

from streamops.pipeline.retraining_spec import RetrainingSpec
from streamops_training.triggers import Triggers

MIN = 60_000
DAY = 24 * 60 * MIN
T0 = 1_767_225_600_000


def _fill(t: Triggers, events: int, start_ms: int, step_ms: int = MIN) -> int:
    """``events`` features records from ``start_ms``; returns the last event time."""
    for i in range(events):
        t.features_record(start_ms + i * step_ms)
    return start_ms + (events - 1) * step_ms


def _policy(**spec: object) -> Triggers:
    values = {"min_labels": 100, "cooldown": timedelta(minutes=30), **spec}
    return Triggers(RetrainingSpec(**values), delay_ms=DAY, negative_after_delay=True)  # type: ignore[arg-type]


def test_the_first_model_waits_for_enough_matured_or_explicit_labels() -> None:
    t = _policy(min_labels=90)
    _fill(t, 90, T0)  # 90 events, none a day old yet
    assert t.labels_known() == 0 and t.due() is None
    for i in range(5):
        t.label(T0 + i * MIN)  # chargebacks of young events count at once
    assert t.labels_known() == 5
    t.features_record(T0 + DAY + 30 * MIN)  # a day on: the first 30 whole minutes matured
    assert t.labels_known() == 30  # their labels are in the matured count, not twice
    assert t.due() is None
    _fill(t, 80, T0 + DAY + 31 * MIN)  # 80 minutes later all 90 first events have matured
    due = t.due()
    assert due is not None and due.kind == "first_model"
    assert "labels known" in due.reason


def test_without_negative_after_delay_only_labels_count() -> None:
    t = Triggers(RetrainingSpec(min_labels=3), delay_ms=DAY, negative_after_delay=False)
    _fill(t, 500, T0, step_ms=10 * MIN)
    assert t.labels_known() == 0
    for i in range(3):
        t.label(T0 + i)
    assert t.due() is not None


def test_labels_read_ahead_of_the_features_count_once_their_records_are_there() -> None:
    # the labels topic was read to its end while the features service is still catching
    # up: a dataset built now would have no row for the labels of later events
    for negative_after_delay in (True, False):
        t = Triggers(RetrainingSpec(min_labels=50), DAY, negative_after_delay)
        for i in range(100):
            t.label(T0 + i * MIN)
        _fill(t, 30, T0)
        assert t.labels_known() == 30 and t.due() is None
        _fill(t, 70, T0 + 30 * MIN)
        assert t.labels_known() == 100 and t.due() is not None
        assert t.labels_known(since_ms=T0 + 60 * MIN) == 40


def test_an_alert_storm_starts_one_job_and_what_comes_in_the_cooldown_waits() -> None:
    t = _policy(on_alert=["DATA_DRIFT", "CONCEPT_DRIFT"])
    t.has_champion = True
    now = _fill(t, 10, T0)
    for i in range(50):
        t.alert(f"a{i}", "CONCEPT_DRIFT", "OPEN", now)
    due = t.due()
    assert due is not None and due.kind == "alert" and len(due.alert_ids) == 50
    assert due.after_drift
    t.started(due)
    assert t.due() is None
    t.alert("late", "DATA_DRIFT", "OPEN", now)  # during the cooldown: it waits
    _fill(t, 29, now + MIN)
    assert t.due() is None  # 29 minutes: still cooling down
    t.features_record(now + 30 * MIN)
    due = t.due()
    assert due is not None and due.alert_ids == ("late",)


def test_an_alerts_job_is_judged_on_the_rows_since_the_oldest_window_of_its_alerts() -> None:
    t = _policy(on_alert=["DATA_DRIFT", "MODEL_PERFORMANCE"])
    t.has_champion = True
    now = _fill(t, 300, T0)
    t.alert("drift", "DATA_DRIFT", "OPEN", now, window_start_ms=T0 + 240 * MIN)
    # the same alert grown: its window moved on; the drift began where the first one did
    t.alert("drift", "DATA_DRIFT", "OPEN", now, window_start_ms=T0 + 270 * MIN)
    t.alert("perf", "MODEL_PERFORMANCE", "OPEN", now, window_start_ms=T0 + 250 * MIN)
    due = t.due()
    assert due is not None and due.since_ms == T0 + 240 * MIN
    assert due.reason.endswith("judged on the rows since 2026-01-01T04:00:00+00:00")
    # an alert given without its window (the argument is optional) judges on all rows
    t = _policy(on_alert=["CONCEPT_DRIFT"])
    t.has_champion = True
    t.alert("c", "CONCEPT_DRIFT", "OPEN", _fill(t, 10, T0))
    due = t.due()
    assert due is not None and due.since_ms is None and "since" not in due.reason


def test_an_alerts_job_waits_for_enough_labelled_rows_since_its_window() -> None:
    t = Triggers(
        RetrainingSpec(min_labels=10, on_alert=["CONCEPT_DRIFT"], every_labels=None),
        delay_ms=10 * MIN,
        negative_after_delay=True,
        judged_rows=30,
    )
    t.has_champion = True
    now = _fill(t, 60, T0)  # a record a minute; those 10 minutes old have matured
    t.alert("c", "CONCEPT_DRIFT", "OPEN", now, window_start_ms=T0 + 30 * MIN)
    assert t.labels_known(T0 + 30 * MIN) == 19 and t.due() is None  # 19 of the 30
    assert str(t.held) == (
        "1 alert(s) wait for their job: 19 of 30 labelled rows since 2026-01-01T00:30:00+00:00"
    )
    _fill(t, 10, now + MIN)
    assert t.labels_known(T0 + 30 * MIN) == 29 and t.due() is None
    assert t.held is not None and (t.held.rows, t.held.needed) == (29, 30)
    t.features_record(now + 11 * MIN)
    due = t.due()
    assert due is not None and due.alert_ids == ("c",) and due.since_ms == T0 + 30 * MIN
    assert t.held is None


def test_closed_and_unlisted_alerts_start_nothing() -> None:
    t = _policy(on_alert=["CONCEPT_DRIFT"])
    t.has_champion = True
    now = _fill(t, 10, T0)
    t.alert("a", "DATA_QUALITY", "OPEN", now)
    t.alert("b", "CONCEPT_DRIFT", "OPEN", now)
    t.alert("b", "CONCEPT_DRIFT", "RESOLVED", now)  # resolved before a job took it
    assert t.due() is None


def test_every_labels_and_schedule_count_from_the_last_job() -> None:
    t = _policy(every_labels=50, schedule=timedelta(hours=6), cooldown=timedelta(0))
    t.has_champion = True
    _fill(t, 10, T0)
    t.started(t.due() or _manual(t))
    for i in range(49):
        t.label(T0 + i)
    assert t.due() is None
    t.label(T0 + 99)
    due = t.due()
    assert due is not None and due.kind == "labels"
    t.started(due)
    t.features_record(T0 + 6 * 60 * MIN + 9 * MIN)
    due = t.due()
    assert due is not None and due.kind == "schedule"


def test_pause_holds_automatic_jobs_but_not_an_operator() -> None:
    t = _policy(on_alert=["CONCEPT_DRIFT"])
    t.has_champion = True
    now = _fill(t, 10, T0)
    t.paused = True
    t.alert("a", "CONCEPT_DRIFT", "OPEN", now)
    assert t.due() is None
    t.request("req-1")
    due = t.due()
    assert due is not None and (due.kind, due.request_id) == ("manual", "req-1")
    t.started(due)
    t.paused = False
    assert t.due() is None  # the manual job's cooldown
    t.features_record(T0 + 40 * MIN)
    due = t.due()  # the alert waited through the pause and the cooldown
    assert due is not None and due.kind == "alert"


def test_an_alert_grown_after_a_job_that_kept_the_champion_is_asked_again() -> None:
    """A MODEL_PERFORMANCE alert opened near the holdout's figure, its retrain rejected
    (v1 kept, the alert acknowledged); the metric falls a whole max_drop further and
    monitoring emits the alert OPEN again: a job answers it after the cooldown. Seen in
    make loop's chaos test, where the drift that followed was otherwise never answered."""
    t = _policy(on_alert=["MODEL_PERFORMANCE"])
    t.has_champion, t.champion_version = True, 1
    now = _fill(t, 10, T0)
    t.alert("perf", "MODEL_PERFORMANCE", "OPEN", now, version=1)
    due = t.due()
    assert due is not None and due.alert_ids == ("perf",)
    t.started(due)
    t.alert("perf", "MODEL_PERFORMANCE", "ACKNOWLEDGED", now, version=1)  # rejected
    t.alert("perf", "MODEL_PERFORMANCE", "OPEN", now, version=1)  # the same OPEN again
    _fill(t, 40, now + MIN)
    assert t.due() is None
    grown = now + 35 * MIN
    t.alert("perf", "MODEL_PERFORMANCE", "OPEN", grown, version=1)
    due = t.due()
    assert due is not None and due.alert_ids == ("perf",)

    # a service started later reads the same from the log, in whatever order its topics
    # interleave: the job that took the first OPEN does not answer the grown one
    for runs_first in (True, False):
        again = _policy(on_alert=["MODEL_PERFORMANCE"])
        _fill(again, 50, T0)
        records = [("OPEN", now), ("ACKNOWLEDGED", now), ("OPEN", grown)]
        if runs_first:
            again.ran(("perf",), None, now, 0)
        for state, at in records:
            again.alert("perf", "MODEL_PERFORMANCE", state, at, version=1)
        if not runs_first:
            again.ran(("perf",), None, now, 0)
        # the service learns the champion from the registry once the log is read
        again.has_champion, again.champion_version = True, 1
        assert again.due() is not None
        again.ran(("perf",), None, grown + MIN, 0)  # and a job took the grown one too
        _fill(again, 40, T0 + 50 * MIN)  # past that job's cooldown
        assert again.due() is None


def test_an_alert_grown_about_a_version_replaced_since_is_not_asked_again() -> None:
    t = _policy(on_alert=["MODEL_PERFORMANCE"])
    t.has_champion, t.champion_version = True, 1
    now = _fill(t, 10, T0)
    t.alert("perf", "MODEL_PERFORMANCE", "OPEN", now, version=1)
    due = t.due()
    assert due is not None
    t.started(due)
    # v1 goes on being judged until version 2 serves: the alert grows about v1
    t.alert("perf", "MODEL_PERFORMANCE", "OPEN", now + 5 * MIN, version=1)
    t.champion_version = 2  # the job promoted version 2
    _fill(t, 40, now + MIN)
    assert t.due() is None


def _manual(t: Triggers) -> object:
    t.request("bootstrap")
    return t.due()
