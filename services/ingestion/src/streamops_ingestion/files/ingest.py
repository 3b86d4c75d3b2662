"""Ingesting a whole file: every row prepared, encoded and produced; a report of what happened."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TextIO

from streamops.events.errors import FieldError
from streamops.events.prepare import Rejected
from streamops_ingestion.files.readers import Row, RowSource
from streamops_ingestion.publish.producer import EventProducer, OnDelivery, QueueFull
from streamops_ingestion.target import IngestTarget, Ready

_QUEUE_RETRY_S = 0.005


@dataclass(frozen=True)
class RejectedRow:
    """A row that did not become an event, and every reason why."""

    row: int
    errors: tuple[FieldError, ...]


@dataclass
class IngestReport:
    """What a file ingest did. Rejected rows are the data's fault; undelivered ones are not."""

    rows_read: int = 0
    produced: int = 0
    rejected: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    first_rejected: list[RejectedRow] = field(default_factory=list)
    delivery_failed: int = 0
    first_delivery_errors: list[tuple[int, str]] = field(default_factory=list)
    read_error: str | None = None  # why the file could not be read to its end
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """The whole file was read and every row that could become an event is in Kafka."""
        return (
            self.read_error is None
            and self.delivery_failed == 0
            and self.produced == self.rows_read - self.rejected
        )


class _Deliveries:
    """Delivery reports of the rows produced, counted from the producer's thread."""

    def __init__(self, keep: int) -> None:
        self._lock = threading.Lock()
        self._keep = keep
        self.ok = 0
        self.failed = 0
        self.first_errors: list[tuple[int, str]] = []

    def callback(self, row: int) -> OnDelivery:
        def on_delivery(error: str | None) -> None:
            with self._lock:
                if error is None:
                    self.ok += 1
                    return
                self.failed += 1
                if len(self.first_errors) < self._keep:
                    self.first_errors.append((row, error))

        return on_delivery


def ingest_rows(
    source: RowSource,
    target: IngestTarget,
    producer: EventProducer,
    *,
    source_name: str,
    flush_timeout_s: float,
    rejects: TextIO | None = None,
    keep_examples: int = 5,
    on_progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Produce every good row of ``source`` to the target's topic and wait for all deliveries.

    Rejected rows are counted by reason, the first ``keep_examples`` kept, and every one
    written to ``rejects`` as a JSON line (PII fields treated as on the topic).
    ``on_progress(position, rows_read)`` is called after each chunk. The producer is closed.
    """
    report = IngestReport()
    deliveries = _Deliveries(keep_examples)
    started = time.monotonic()
    try:
        for chunk in _readable(source.chunks(), report):
            for row in chunk:
                report.rows_read += 1
                outcome = (
                    Rejected((row.error,))
                    if row.error is not None
                    else target.process(row.data, source=source_name, text=source.text)
                )
                if isinstance(outcome, Rejected):
                    _reject(report, row, outcome.errors, target, rejects, keep_examples)
                else:
                    _publish(producer, target.topic, outcome, deliveries.callback(row.number))
            if on_progress is not None:
                on_progress(source.position(), report.rows_read)
    finally:
        undelivered = producer.close(flush_timeout_s)
    report.produced = deliveries.ok
    report.delivery_failed = deliveries.failed + undelivered
    report.first_delivery_errors = deliveries.first_errors
    if undelivered:
        report.first_delivery_errors.append(
            (0, f"{undelivered} events still unacknowledged after {flush_timeout_s:g} s")
        )
    report.seconds = time.monotonic() - started
    return report


def _readable(chunks: Iterator[list[Row]], report: IngestReport) -> Iterator[list[Row]]:
    """The chunks, until one cannot be read: then the error goes into the report."""
    while True:
        try:
            chunk = next(chunks)
        except StopIteration:
            return
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid, bad UTF-8: ValueErrors
            report.read_error = f"{type(exc).__name__}: {exc}"
            return
        yield chunk


def _publish(producer: EventProducer, topic: str, event: Ready, on_delivery: OnDelivery) -> None:
    """Hand ``event`` to the producer, waiting while its queue is full."""
    while True:
        try:
            producer.publish(topic, event.key, event.value, on_delivery)
            return
        except QueueFull:  # Kafka is slower than the file: let deliveries drain
            time.sleep(_QUEUE_RETRY_S)


def _reject(
    report: IngestReport,
    row: Row,
    errors: tuple[FieldError, ...],
    target: IngestTarget,
    rejects: TextIO | None,
    keep: int,
) -> None:
    report.rejected += 1
    report.by_reason[errors[0].reason] += 1
    if len(report.first_rejected) < keep:
        report.first_rejected.append(RejectedRow(row.number, errors))
    if rejects is not None:
        data = target.preparer.pii.apply(row.data) if isinstance(row.data, Mapping) else None
        line = {
            "row": row.number,
            "reason": errors[0].reason,
            "errors": [e.to_json() for e in errors],
            "data": data,
        }
        rejects.write(json.dumps(line, default=str) + "\n")
