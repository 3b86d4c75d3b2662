"""Rebuilding store partitions from their changelogs (the format is in `records`).

Changelog records go out in the same transaction as the batch's input offsets (and, under
exactly-once, its outputs), so a restore reading ``read_committed`` sees whole batches
and nothing of an aborted one.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition

from streamops.state.base import Change, PartitionStore
from streamops.state.records import DATA_PREFIX, MARKER_KEY, entry_time, read_marker

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
    on_progress: Callable[[], None] | None = None,
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
    collecting = gc.isenabled()
    # A restore builds millions of objects and no reference cycles: the cyclic collector
    # would only walk the growing store again and again (half the time of a large restore).
    gc.disable()
    try:
        consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t, p in by_tp])
        open_tps = set(by_tp)
        last_report = started
        while open_tps:
            for m in consumer.consume(chunk, 1.0):
                # always set on a consumed message (the stubs make them optional)
                tp: tuple[str, int] = (m.topic(), m.partition())  # type: ignore[assignment]
                error = m.error()
                if error is not None:
                    _on_error(error, tp, open_tps)
                    continue
                target, changes = by_tp[tp], pending[tp]
                target.records += 1
                key: bytes = m.key()  # type: ignore[assignment]
                value: bytes | None = m.value()
                if key[:1] == DATA_PREFIX:
                    if value is None:
                        changes[key[1:]] = None
                    else:
                        event_time = entry_time(value)
                        changes[key[1:]] = (event_time, value)
                        if event_time is not None and (
                            target.watermark_ms is None or event_time > target.watermark_ms
                        ):
                            target.watermark_ms = event_time
                    if len(changes) >= chunk:
                        _flush(target, changes, {})
                elif key == MARKER_KEY and value is not None:
                    offsets, watermark = read_marker(value)
                    if watermark is not None and (
                        target.watermark_ms is None or watermark > target.watermark_ms
                    ):
                        target.watermark_ms = watermark
                    _flush(target, changes, offsets)
            if on_progress is not None:
                on_progress()
            if time.monotonic() - last_report > 10:
                last_report = time.monotonic()
                done = sum(t.records for t in targets)
                log.info("restoring state: %d changelog records read so far", done)
        for tp, target in by_tp.items():
            _flush(target, pending[tp], {})
    finally:
        consumer.close()
        if collecting:
            gc.enable()
    return time.monotonic() - started


def _on_error(error: KafkaError, tp: tuple[str, int], open_tps: set[tuple[str, int]]) -> None:
    """The end of a partition closes it; a fatal error stops the restore; others are logged."""
    if error.code() == KafkaError._PARTITION_EOF:
        open_tps.discard(tp)
    elif error.fatal():
        raise KafkaException(error)
    else:
        log.warning("restoring %s: %s", tp, error.str())


def _flush(target: RestoreTarget, changes: dict[bytes, Change], offsets: Mapping[str, int]) -> None:
    target.store.write(changes, offsets)
    changes.clear()
