"""A partition's watermarks asked again while its leader moves (`streamops.topics.leaders`)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from streamops.topics import leaders
from streamops.topics.leaders import leader_moving, watermarks


class _Consumer:
    """Answers get_watermark_offsets with ``errors`` first (one per call), then (3, 42)."""

    def __init__(self, errors: list[int]) -> None:
        self.errors = errors
        self.calls = 0

    def get_watermark_offsets(self, tp: TopicPartition, **_: Any) -> tuple[int, int]:
        assert (tp.topic, tp.partition) == ("t", 2)
        self.calls += 1
        if self.errors:
            raise KafkaException(KafkaError(self.errors.pop(0)))
        return 3, 42


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(leaders, "RETRY_S", 0.01)


@pytest.mark.parametrize(
    "code",
    [
        KafkaError.NOT_LEADER_FOR_PARTITION,  # seen by CI on a topic just made (a dataset read)
        KafkaError.UNKNOWN_LEADER_EPOCH,  # seen by CI (streamops status)
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.OFFSET_NOT_AVAILABLE,
    ],
)
def test_a_moving_leader_is_asked_again_until_it_answers(code: int) -> None:
    consumer = _Consumer([code] * 5)
    assert watermarks(consumer, "t", 2, timeout_s=5) == (3, 42)  # type: ignore[arg-type]
    assert consumer.calls == 6


def test_a_leader_that_never_comes_fails_once_the_timeout_has_passed() -> None:
    consumer = _Consumer([KafkaError.NOT_LEADER_FOR_PARTITION] * 10_000)
    started = time.monotonic()
    with pytest.raises(KafkaException, match="NOT_LEADER"):
        watermarks(consumer, "t", 2, timeout_s=0.3)  # type: ignore[arg-type]
    assert 0.3 <= time.monotonic() - started < 2
    assert 5 < consumer.calls < 10_000


def test_another_error_fails_at_once() -> None:
    consumer = _Consumer([KafkaError.TOPIC_AUTHORIZATION_FAILED])
    with pytest.raises(KafkaException, match="TOPIC_AUTHORIZATION_FAILED"):
        watermarks(consumer, "t", 2, timeout_s=5)  # type: ignore[arg-type]
    assert consumer.calls == 1


def test_an_error_librdkafka_marks_retriable_counts_as_moving() -> None:
    assert leader_moving(KafkaError(KafkaError.BROKER_NOT_AVAILABLE, retriable=True))
    assert not leader_moving(KafkaError(KafkaError.BROKER_NOT_AVAILABLE))
