"""Waiting out an unreachable registry or cluster: capped back-off, a log line per retry."""

from __future__ import annotations

import logging
import threading

import pytest

from streamops.serde import RegistryUnavailable
from streamops.service import Backoff, retry_while_unavailable
from streamops.topics import TopicAdminError


class RecordedStop(threading.Event):
    """A stop event that records the waits instead of sleeping; set after ``stop_after``."""

    def __init__(self, stop_after: int | None = None) -> None:
        super().__init__()
        self.waits: list[float] = []
        self._stop_after = stop_after

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None
        self.waits.append(timeout)
        return self._stop_after is not None and len(self.waits) >= self._stop_after


def test_retries_with_capped_exponential_back_off_then_returns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = 0

    def attempt() -> str:
        nonlocal calls
        calls += 1
        if calls <= 5:
            raise RegistryUnavailable("connection refused")
        return "registered"

    seen: list[tuple[str, float]] = []
    stop = RecordedStop()
    with caplog.at_level(logging.WARNING, "streamops.service.retry"):
        result = retry_while_unavailable(
            attempt,
            what="stage s",
            stop=stop,
            backoff=Backoff(first_s=0.5, max_s=3.0),
            on_retry=lambda exc, delay: seen.append((str(exc), delay)),
        )
    assert result == "registered"
    assert stop.waits == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert [delay for _, delay in seen] == stop.waits
    assert seen[0][0] == "connection refused"
    assert caplog.messages[0] == "stage s: connection refused; retrying in 0.5 s"
    assert len(caplog.messages) == 5


def test_a_cluster_or_broker_out_of_reach_is_retried_too() -> None:
    errors: list[Exception] = [TopicAdminError("no answer"), ConnectionError("no broker")]

    def attempt() -> int:
        if errors:
            raise errors.pop(0)
        return 1

    assert retry_while_unavailable(attempt, what="x", stop=RecordedStop()) == 1


def test_stopping_while_waiting_gives_none() -> None:
    def attempt() -> None:
        raise RegistryUnavailable("down")

    stop = RecordedStop(stop_after=2)
    assert retry_while_unavailable(attempt, what="x", stop=stop) is None
    assert len(stop.waits) == 2


def test_what_retrying_cannot_fix_is_raised_at_once() -> None:
    def attempt() -> None:
        raise ValueError("replication factor 3 on a 1-broker cluster")

    stop = RecordedStop()
    with pytest.raises(ValueError, match="replication factor"):
        retry_while_unavailable(attempt, what="x", stop=stop)
    assert stop.waits == []


def test_what_is_retried_can_be_chosen() -> None:
    calls = 0

    def attempt() -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise KeyError("flaky")
        return calls

    assert (
        retry_while_unavailable(attempt, what="x", stop=RecordedStop(), retry_on=(KeyError,)) == 2
    )
