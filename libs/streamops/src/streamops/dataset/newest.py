"""Where a pipeline's stream stands in event time: the newest event time of its features
topic, read from each partition's last records (`newest_event_time`).

An operator's `streamops models promote` stamps its Deployment with it, as the training
service stamps its own decisions, so that a new champion's probation judges the events
served after its promotion (streamops_training.probation). Only the tail is read: a
partition's records come in about the order of their event times (a features record is
written when its event is validated), so the newest is among its last `TAIL` records
unless more than that many late ones followed it.
"""

from __future__ import annotations

import datetime

from streamops.dataset.errors import NothingToRead
from streamops.dataset.read import dataset_consumer, plan_ranges, read_range
from streamops.features import features_event_time, utc_datetime
from streamops.serde import DecodeError
from streamops.settings import KafkaSettings

__all__ = ["TAIL", "newest_event_time"]

#: Records read from the end of each partition.
TAIL = 500


class _EventTime:
    """Decodes a features record's event time alone (`features_event_time`)."""

    def decode(self, data: bytes | None) -> dict[str, int]:
        if data is None or len(data) < 6 or data[0] != 0:
            raise DecodeError("not_avro", "not a record in the Confluent wire format")
        try:
            return {"event_time": features_event_time(data)}
        except IndexError as exc:
            raise DecodeError("truncated", "the record ends before its event time") from exc


def newest_event_time(
    kafka: KafkaSettings, topic: str, timeout_s: float = 30.0, tail: int = TAIL
) -> datetime.datetime | None:
    """The newest event time among the last ``tail`` records of each partition of the
    features ``topic``; None if it is empty or does not exist. ClusterUnavailable when
    the cluster does not answer within ``timeout_s``."""
    consumer = dataset_consumer(kafka)
    try:
        try:
            ranges = plan_ranges(consumer, topic, None, timeout_s)
        except NothingToRead:
            return None
        tails = {p: (max(start, end - tail), end) for p, (start, end) in ranges.items()}
        read = read_range(consumer, topic, tails, _EventTime(), timeout_s=timeout_s)
    finally:
        consumer.close()
    newest = max((r.value["event_time"] for r in read.records), default=None)
    return None if newest is None else utc_datetime(newest)
