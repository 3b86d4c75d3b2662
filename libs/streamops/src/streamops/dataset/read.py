"""Bounded reads of a topic: from the beginning (or given offsets) to end offsets fixed
before reading.

The end of every partition is either given (to rebuild a dataset) or snapshotted before
the first record is read, so records appended meanwhile are not read and two reads with
the same end offsets see the same records. Reads are ``read_committed``: the snapshot is
then the last stable offset, and nothing of an aborted or open transaction is read.
A partition is done at its end offset, whether the last offset below it is a record or a
transaction marker (which a consumer never sees): a record at or past the end, or the
partition-EOF event at or past it, closes it.

Nothing is committed: the consumer only assigns partitions. Records are held in memory.
"""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from streamops.dataset.errors import ClusterUnavailable, NothingToRead, OffsetsGone
from streamops.dataset.identity import TopicRange
from streamops.serde import DecodeError, RegistryUnavailable
from streamops.settings import KafkaSettings
from streamops.topics.leaders import watermarks

#: Called with the number of offsets a read has advanced since the last call.
Advance = Callable[[int], None]


class Decoder(Protocol):
    """What reads a record's value: `AvroDecoder`, or less (DecodeError: unreadable)."""

    def decode(self, data: bytes | None) -> Any: ...


_SCHEMA_ID = struct.Struct(">I")
_GONE = (KafkaError._AUTO_OFFSET_RESET, KafkaError.OFFSET_OUT_OF_RANGE)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadRecord:
    """One decoded record and where it was read."""

    partition: int
    offset: int
    value: dict[str, Any]


@dataclass
class TopicRead:
    """The records of a bounded read, with the schema ids seen and the undecodable count."""

    topic: str
    offsets: dict[int, tuple[int, int]]
    records: list[ReadRecord] = field(default_factory=list)
    schema_ids: set[int] = field(default_factory=set)
    undecodable: int = 0

    def range(self) -> TopicRange:
        """What was read, as the dataset's identity records it."""
        return TopicRange(
            topic=self.topic,
            offsets=dict(self.offsets),
            schema_ids=tuple(sorted(self.schema_ids)),
            records=len(self.records),
            undecodable=self.undecodable,
        )


def dataset_consumer(kafka: KafkaSettings) -> Consumer:
    """A consumer that reads assigned partitions ``read_committed`` and never commits."""
    return Consumer(
        {
            **kafka.client_config(),
            "group.id": "streamops.dataset",  # librdkafka wants one; nothing is committed
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "isolation.level": "read_committed",
            # a start offset deleted by retention while reading is an error, not a silent skip
            "auto.offset.reset": "error",
            "logger": log,  # librdkafka's own logs, through logging rather than to stderr
        }
    )


def plan_ranges(
    consumer: Consumer,
    topic: str,
    end_offsets: Mapping[int, int] | None,
    timeout_s: float,
    start_offsets: Mapping[int, int] | None = None,
) -> dict[int, tuple[int, int]]:
    """``[start, end)`` per partition: from ``start_offsets`` (or the first offset still
    kept, if later or not given) to ``end_offsets``, or to the partition's current end
    (last stable offset) when none are given."""
    partitions = _partitions(consumer, topic, timeout_s)
    if end_offsets is not None:
        missing = sorted(set(end_offsets) - set(partitions))
        if missing:
            raise OffsetsGone(f"topic {topic} has no partition {missing} any more")
        partitions = sorted(end_offsets)
    ranges: dict[int, tuple[int, int]] = {}
    for p in partitions:
        try:
            low, high = watermarks(consumer, topic, p, timeout_s)
        except KafkaException as exc:
            raise ClusterUnavailable(f"cannot ask the end of {topic}[{p}]: {exc}") from exc
        end = high if end_offsets is None else end_offsets[p]
        if end > high:
            raise OffsetsGone(
                f"{topic}[{p}] ends at offset {high}, before {end}: was the topic recreated?"
            )
        start = max(low, (start_offsets or {}).get(p, low))
        ranges[p] = (min(start, end), end)
    return ranges


def _partitions(consumer: Consumer, topic: str, timeout_s: float) -> list[int]:
    try:
        metadata = consumer.list_topics(topic, timeout=timeout_s)
    except KafkaException as exc:
        raise ClusterUnavailable(f"cannot reach the Kafka cluster: {exc.args[0].str()}") from exc
    found = metadata.topics.get(topic)
    if found is None or found.error is not None:
        if found is None or found.error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
            raise NothingToRead(
                f"topic {topic} does not exist: create the pipeline's topics "
                "(streamops topics ensure) and run the services that fill it"
            )
        raise ClusterUnavailable(f"cannot read the metadata of {topic}: {found.error.str()}")
    return sorted(found.partitions)


def read_range(
    consumer: Consumer,
    topic: str,
    offsets: Mapping[int, tuple[int, int]],
    decoder: Decoder,
    *,
    timeout_s: float,
    on_advance: Advance | None = None,
) -> TopicRead:
    """Read and decode ``[start, end)`` of every partition; undecodable records are counted
    and left out. ClusterUnavailable when nothing arrives for ``timeout_s``."""
    read = TopicRead(topic, dict(offsets))
    # per open partition: the next offset expected (for progress) and the end
    position = {p: start for p, (start, end) in offsets.items() if end > start}
    ends = {p: end for p, (_, end) in offsets.items()}
    if not position:
        return read
    consumer.assign([TopicPartition(topic, p, start) for p, start in position.items()])
    last_seen = time.monotonic()
    try:
        while position:
            advanced = 0
            for m in consumer.consume(1000, 0.5):
                p: int = m.partition()  # type: ignore[assignment]  # set on consumed messages
                offset: int = m.offset()  # type: ignore[assignment]
                error = m.error()
                if error is not None:
                    _check(error, topic, p)
                    eof = error.code() == KafkaError._PARTITION_EOF
                    if eof and p in position and offset >= ends[p]:
                        advanced += ends[p] - position.pop(p)
                    continue
                if p not in position:
                    continue  # fetched before its partition closed
                if offset >= ends[p]:
                    advanced += ends[p] - position.pop(p)
                    continue
                _decode_into(read, decoder, m, p, offset)
                advanced += offset + 1 - position[p]
                position[p] = offset + 1
                if offset + 1 >= ends[p]:
                    del position[p]
            if advanced:
                last_seen = time.monotonic()
                if on_advance is not None:
                    on_advance(advanced)
            elif time.monotonic() - last_seen > timeout_s:
                waiting = ", ".join(
                    f"{topic}[{q}] at {o} of {ends[q]}" for q, o in position.items()
                )
                raise ClusterUnavailable(f"no records for {timeout_s:.0f} s: {waiting}")
    finally:
        consumer.unassign()
    return read


def _check(error: KafkaError, topic: str, partition: int) -> None:
    """Raise for an error the read cannot go on after; transient ones pass (the timeout
    catches a cluster that stays away)."""
    if error.code() in _GONE:
        raise OffsetsGone(
            f"{topic}[{partition}]: records to read were deleted while reading (retention): "
            f"{error.str()}"
        )
    if error.fatal() or error.code() in (
        KafkaError.UNKNOWN_TOPIC_OR_PART,
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
    ):
        raise ClusterUnavailable(f"reading {topic}[{partition}]: {error.str()}")


def _decode_into(
    read: TopicRead, decoder: Decoder, m: Message, partition: int, offset: int
) -> None:
    data = m.value()
    try:
        value = decoder.decode(data)
    except DecodeError:
        read.undecodable += 1
        return
    except RegistryUnavailable as exc:
        raise ClusterUnavailable(str(exc)) from exc
    assert data is not None  # decode refuses None
    read.schema_ids.add(_SCHEMA_ID.unpack_from(data, 1)[0])
    read.records.append(ReadRecord(partition, offset, value))
