"""Rebuilding store partitions from their changelogs (the format is in `records`).

Changelog records go out in the same transaction as the batch's input offsets (and, under
exactly-once, its outputs), so a restore reading ``read_committed`` sees whole batches
and nothing of an aborted one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import msgpack
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition

from streamops.state.base import Change, PartitionStore
from streamops.state.records import DATA_PREFIX, MARKER_KEY, decode_entry

log = logging.getLogger(__name__)


@dataclass
class RestoreTarget:
    """A store partition to rebuild, and what the restore found."""

    store_name: str
    topic: str
    partition: int
    store: PartitionStore
    records: int = 0
    watermark_ms: int | None = None


#: Makes the consumer that reads changelogs back (a fake one in unit tests).
ConsumerFactory = Callable[[dict[str, Any]], Consumer]


def restore(
    consumer_config: dict[str, Any],
    targets: Sequence[RestoreTarget],
    chunk: int,
    consumer_factory: ConsumerFactory = Consumer,
) -> float:
    """Rebuild every target store from its changelog partition; returns the seconds taken.

    Reads ``read_committed`` from the beginning to the end of each partition (librdkafka's
    partition-EOF event, at the last stable offset) and writes to the stores in chunks.
    """
    if not targets:
        return 0.0
    started = time.monotonic()
    consumer = consumer_factory(
        {
            **consumer_config,
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "isolation.level": "read_committed",
            "auto.offset.reset": "earliest",
        }
    )
    by_tp = {(t.topic, t.partition): t for t in targets}
    pending: dict[tuple[str, int], dict[bytes, Change]] = {tp: {} for tp in by_tp}
    try:
        consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t, p in by_tp])
        open_tps = set(by_tp)
        last_report = started
        while open_tps:
            for m in consumer.consume(chunk, 1.0):
                error = m.error()
                tp = cast(tuple[str, int], (m.topic(), m.partition()))
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        open_tps.discard(tp)
                        continue
                    if error.fatal():
                        raise KafkaException(error)
                    log.warning("restoring %s: %s", tp, error.str())
                    continue
                target = by_tp[tp]
                target.records += 1
                key = cast(bytes, m.key())
                value: bytes | None = m.value()
                if key == MARKER_KEY:
                    _flush(target, pending[tp], msgpack.unpackb(value) if value else {})
                elif key[:1] == DATA_PREFIX:
                    change: Change = None
                    if value is not None:
                        event_time = decode_entry(value)[0]
                        change = (event_time, value)
                        if event_time is not None and (
                            target.watermark_ms is None or event_time > target.watermark_ms
                        ):
                            target.watermark_ms = event_time
                    pending[tp][key[1:]] = change
                    if len(pending[tp]) >= chunk:
                        _flush(target, pending[tp], {})
            if time.monotonic() - last_report > 10:
                last_report = time.monotonic()
                done = sum(t.records for t in targets)
                log.info("restoring state: %d changelog records read so far", done)
        for tp, target in by_tp.items():
            _flush(target, pending[tp], {})
    finally:
        consumer.close()
    return time.monotonic() - started


def _flush(target: RestoreTarget, changes: dict[bytes, Change], offsets: Mapping[str, int]) -> None:
    target.store.write(changes, offsets)
    changes.clear()
