"""`streamops status` reading offsets while a partition's leader moves (a topic just made)."""

from __future__ import annotations

from concurrent.futures import Future
from types import SimpleNamespace
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from streamops.status import offsets
from streamops.status.errors import StatusError
from streamops.status.offsets import ClusterOffsets
from streamops.topics import leaders


class _Admin:
    """Answers list_offsets with ``errors`` first (one per call), then offset 42."""

    def __init__(self, errors: list[int]) -> None:
        self.errors = errors
        self.calls = 0

    def list_offsets(self, request: dict[TopicPartition, Any], **_: Any) -> dict[Any, Future]:
        self.calls += 1
        code = self.errors.pop(0) if self.errors else None
        futures: dict[Any, Future] = {}
        for tp in request:
            future: Future = Future()
            if code is None:
                future.set_result(SimpleNamespace(offset=42))
            else:
                future.set_exception(KafkaException(KafkaError(code)))
            futures[tp] = future
        return futures


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leaders, "RETRY_S", 0.01)


def _read(admin: _Admin, timeout_s: float = 5.0) -> dict[tuple[str, int], int]:
    cluster = ClusterOffsets(admin, timeout_s=timeout_s)  # type: ignore[arg-type]
    return cluster._offsets([("t", 0), ("t", 1)], offsets._LATEST)


def test_a_leader_that_moves_for_longer_than_ten_reads_is_waited_for() -> None:
    # CI saw a topic just made answer NOT_LEADER_FOR_PARTITION for longer than the ten reads
    # (5 s) this used to allow; the wait is the request's timeout now
    admin = _Admin([KafkaError.NOT_LEADER_FOR_PARTITION] * 30)
    assert _read(admin) == {("t", 0): 42, ("t", 1): 42}
    assert admin.calls == 31


@pytest.mark.parametrize(
    "code",
    [
        KafkaError.UNKNOWN_LEADER_EPOCH,  # seen by CI on a topic just made
        KafkaError.FENCED_LEADER_EPOCH,
        KafkaError.OFFSET_NOT_AVAILABLE,
        KafkaError.REQUEST_TIMED_OUT,
    ],
)
def test_a_leader_epoch_or_offset_not_yet_known_is_waited_for(code: int) -> None:
    admin = _Admin([code] * 3)
    assert _read(admin) == {("t", 0): 42, ("t", 1): 42}
    assert admin.calls == 4


def test_a_leader_that_never_comes_fails_once_the_timeout_has_passed() -> None:
    admin = _Admin([KafkaError.LEADER_NOT_AVAILABLE] * 10_000)
    with pytest.raises(StatusError, match=r"t\[0\].*[Ll]eader"):
        _read(admin, timeout_s=0.3)
    assert 5 < admin.calls < 10_000


def test_another_error_fails_at_once() -> None:
    admin = _Admin([KafkaError.TOPIC_AUTHORIZATION_FAILED])
    with pytest.raises(StatusError, match=r"cannot read the offsets of t\[0\]"):
        _read(admin)
    assert admin.calls == 1
