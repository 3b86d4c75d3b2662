"""The event time training stamps on its decisions: the log read to its end first, since
a fit of wall seconds is an hour of events at a fast clock (`TrainingService._newest_event`)."""

from __future__ import annotations

import datetime
import logging
from types import SimpleNamespace
from typing import Any

import pytest

from streamops.pipeline.retraining_spec import RetrainingSpec
from streamops.registry import ClusterUnavailableError
from streamops_training.service import TrainingService
from streamops_training.triggers import Triggers

STARTED = datetime.datetime(2026, 12, 5, 5, 0, tzinfo=datetime.UTC)
FIT_S = 10 * 333  # ten wall seconds of a fit at the benchmark's clock


def _ms(at: datetime.datetime) -> int:
    return int(at.timestamp() * 1000)


def _service(catch_up: Any) -> Any:
    triggers = Triggers(RetrainingSpec(), delay_ms=600_000, negative_after_delay=True)
    triggers.features_record(_ms(STARTED))  # the newest event as the job started
    service = SimpleNamespace(triggers=triggers, watch=SimpleNamespace(catch_up=catch_up))
    service._event_time = lambda: TrainingService._event_time(service)  # type: ignore[arg-type]
    return service


def test_a_decision_is_stamped_with_the_events_written_during_the_fit() -> None:
    later = STARTED + datetime.timedelta(seconds=FIT_S)
    service = _service(lambda: service.triggers.features_record(_ms(later)))
    assert TrainingService._event_time(service) == STARTED  # before the log is read
    assert TrainingService._newest_event(service) == later


def test_a_cluster_that_does_not_answer_leaves_the_jobs_start(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def fail() -> None:
        raise ClusterUnavailableError("no records for 30 s: fraud.features[0] at 41")

    service = _service(fail)
    with caplog.at_level(logging.WARNING, logger="streamops.training"):
        assert TrainingService._newest_event(service) == STARTED
    assert "the event time at the decision is the job's start" in caplog.text
    assert "fraud.features[0] at 41" in caplog.text


def test_nothing_read_yet_is_no_event_time() -> None:
    triggers = Triggers(RetrainingSpec(), delay_ms=600_000, negative_after_delay=True)
    service = SimpleNamespace(triggers=triggers)
    assert TrainingService._event_time(service) is None  # type: ignore[arg-type]
