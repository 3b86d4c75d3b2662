"""`LogFollower`: reads whole topics from the beginning, then follows them as they grow.

The consumer is assigned every partition (no group, nothing committed) and reads
``read_committed``, so records of open or aborted transactions (a version whose chunks
are still being written) are never seen. `catch_up` reads to the end offsets found when
it is called (the last stable offsets), `poll` hands over whatever arrived since. A
partition is caught up at its end offset whether the last offset below it is a record or
a transaction marker, which a consumer never sees: the partition-EOF event closes it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Message
from confluent_kafka import TopicPartition as Partition

from streamops.registry.errors import ClusterUnavailableError, TopicMissingError
from streamops.settings import KafkaSettings
from streamops.topics.leaders import watermarks

#: The most records one `LogFollower.poll` hands over before it returns.
MAX_POLL_RECORDS = 10_000
#: Called with every record read, in offset order per partition.
Handler = Callable[[Message], None]
log = logging.getLogger(__name__)


def registry_consumer(kafka: KafkaSettings) -> Consumer:
    """A consumer of assigned partitions that reads ``read_committed`` and never commits."""
    return Consumer(
        {
            **kafka.client_config(),
            "group.id": "streamops.registry",  # librdkafka wants one; nothing is committed
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "isolation.level": "read_committed",
            "auto.offset.reset": "earliest",
            # a fetch waiting for data holds up the end-offset queries behind it on the
            # connection: short waits keep a catch-up quick (the topics are small)
            "fetch.wait.max.ms": 50,
            "logger": log,
        }
    )


class LogFollower:
    """Reads ``topics`` from their first offset and keeps following them."""

    def __init__(self, kafka: KafkaSettings, topics: Sequence[str], *, timeout_s: float) -> None:
        self._consumer = registry_consumer(kafka)
        self._topics = list(topics)
        self._timeout_s = timeout_s
        self._next: dict[tuple[str, int], int] = {}  # partition -> next offset to hand over
        self._assigned = False

    def catch_up(self, handle: Handler) -> int:
        """Hand every record up to the current end of each partition to ``handle``; the
        number of records. ClusterUnavailableError when nothing arrives for ``timeout_s``."""
        self._assign()
        ends = {tp: self._end(tp) for tp in self._next}
        open_ = {tp for tp, end in ends.items() if self._next[tp] < end}
        count, last_seen = 0, time.monotonic()
        while open_:
            # consume() waits its whole timeout unless the batch fills: keep it short
            messages = self._consumer.consume(500, 0.05)
            for m in messages:
                tp = (str(m.topic()), int(m.partition() or 0))
                if self._handle(m, handle):
                    count += 1
                if tp in open_ and self._next[tp] >= ends[tp]:
                    open_.discard(tp)
            if messages:
                last_seen = time.monotonic()
            elif time.monotonic() - last_seen > self._timeout_s:
                waiting = ", ".join(f"{t}[{p}] at {self._next[(t, p)]}" for t, p in open_)
                raise ClusterUnavailableError(f"no records for {self._timeout_s:g} s: {waiting}")
        return count

    def poll(self, handle: Handler, timeout_s: float) -> int:
        """Hand over what arrived since the last call, waiting up to ``timeout_s`` for the
        first record and returning as soon as it is there (so a change is seen at once)."""
        self._assign()
        deadline = time.monotonic() + timeout_s
        while True:  # an end-of-partition event is not a record: wait on for one
            first = self._consumer.poll(max(deadline - time.monotonic(), 0))
            if first is None:
                return 0
            count = int(self._handle(first, handle))
            if count:
                break
            if time.monotonic() >= deadline:
                return 0
        # drain what is already fetched, but return now and then under a steady stream
        while count < MAX_POLL_RECORDS and (batch := self._consumer.consume(500, 0)):
            count += sum(self._handle(m, handle) for m in batch)
        return count

    def close(self) -> None:
        """Leave the cluster."""
        self._consumer.close()

    def _handle(self, m: Message, handle: Handler) -> bool:
        error = m.error()
        tp = (str(m.topic()), int(m.partition() or 0))
        offset = int(m.offset() or 0)
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                self._next[tp] = max(self._next[tp], offset)
            elif error.fatal() or error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
                raise ClusterUnavailableError(f"reading {tp[0]}[{tp[1]}]: {error.str()}")
            return False
        self._next[tp] = offset + 1
        handle(m)
        return True

    def _assign(self) -> None:
        if self._assigned:
            return
        partitions = [(t, p) for t in self._topics for p in self._partitions(t)]
        self._next = dict.fromkeys(partitions, 0)
        self._consumer.assign([Partition(t, p, OFFSET_BEGINNING) for t, p in partitions])
        self._assigned = True

    def _partitions(self, topic: str) -> list[int]:
        try:
            metadata = self._consumer.list_topics(topic, timeout=self._timeout_s)
        except KafkaException as exc:
            raise ClusterUnavailableError(f"cannot reach the Kafka cluster: {exc}") from exc
        found = metadata.topics.get(topic)
        if found is None or found.error is not None or not found.partitions:
            if (
                found is None
                or found.error is None
                or (found.error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART)
            ):
                raise TopicMissingError(
                    f"topic {topic} does not exist: create the pipeline's topics "
                    "(streamops topics ensure)"
                )
            raise ClusterUnavailableError(f"cannot read the metadata of {topic}: {found.error}")
        return sorted(found.partitions)

    def _end(self, tp: tuple[str, int]) -> int:
        try:
            _, high = watermarks(self._consumer, tp[0], tp[1], self._timeout_s)
        except KafkaException as exc:
            raise ClusterUnavailableError(f"cannot ask the end of {tp[0]}[{tp[1]}]: {exc}") from exc
        return int(high)
