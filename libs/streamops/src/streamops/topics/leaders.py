"""What a partition answers while its leader moves, and a partition's watermarks read
through such a move.

A topic just made, a broker restarting or a leader election answer requests with errors
that pass once the partition's leader is known again; librdkafka does not retry them for
a consumer's watermark query. CI saw NOT_LEADER_FOR_PARTITION for seconds on a topic just
made (a dataset's read, `streamops status`) and UNKNOWN_LEADER_EPOCH once.
"""

from __future__ import annotations

import time

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from streamops.topics._admin import kafka_error

#: The errors of a moving leader. The epoch errors come when the client's metadata and
#: the broker disagree about the leader's epoch for a moment; OFFSET_NOT_AVAILABLE while a
#: new leader has not yet learnt its high watermark.
LEADER_MOVING = frozenset(
    {
        KafkaError.NOT_LEADER_FOR_PARTITION,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.UNKNOWN_TOPIC_OR_PART,
        KafkaError.REQUEST_TIMED_OUT,
        KafkaError.UNKNOWN_LEADER_EPOCH,
        KafkaError.FENCED_LEADER_EPOCH,
        KafkaError.OFFSET_NOT_AVAILABLE,
    }
)
RETRY_S = 0.5  # between two asks of a partition whose leader is moving


def leader_moving(error: KafkaError) -> bool:
    """Whether ``error`` passes once the partition's leader is known again."""
    return error.retriable() or error.code() in LEADER_MOVING


def watermarks(consumer: Consumer, topic: str, partition: int, timeout_s: float) -> tuple[int, int]:
    """The partition's (low, high) watermarks from its leader (the high one is the last
    stable offset for a read_committed consumer), asked again while the leader moves, for
    up to ``timeout_s`` in all. KafkaException: another error, or a move that outlasts it."""
    deadline = time.monotonic() + timeout_s
    while True:
        left = max(deadline - time.monotonic(), 0.1)
        try:
            found = consumer.get_watermark_offsets(
                TopicPartition(topic, partition), timeout=left, cached=False
            )
        except KafkaException as exc:
            error = kafka_error(exc)
            if error is None or not leader_moving(error) or time.monotonic() >= deadline:
                raise
            time.sleep(min(RETRY_S, max(deadline - time.monotonic(), 0)))
            continue
        if found is None:  # the client's way of saying it timed out
            raise KafkaException(KafkaError(KafkaError._TIMED_OUT, "watermark query timed out"))
        low, high = found
        return int(low), int(high)
