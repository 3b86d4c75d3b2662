"""One micro-batch in memory: decode the messages, run the transform, encode its outputs.

Nothing is written here; the result is what the stage's write phase produces and commits.
Bad data never raises out of here: a record that cannot be decoded, that makes the
transform raise, or whose output does not fit its schema becomes a dead letter.
"""

from __future__ import annotations

import gc
import logging
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any, cast

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from streamops.runtime.dlq import dead_letter, encode_rejection, unencodable_output
from streamops.runtime.guarantees import Pending
from streamops.runtime.records import BatchResult, InRecord, Reason, Rejection, Transform
from streamops.serde import AvroDecoder, AvroEncoder, DecodeError
from streamops.state import StageState

log = logging.getLogger(__name__)

#: Records to produce, and how many went to each output topic and to the DLQ (by kind).
Prepared = tuple[list[Pending], Counter[str], Counter[str]]


class BatchPreparer:
    """Turns consumed messages, or a transform's own outputs, into records to produce."""

    def __init__(
        self,
        stage: str,
        transform: Transform,
        decoder: AvroDecoder,
        encoders: Mapping[str, AvroEncoder],
        dlq_topic: str,
        state: StageState | None = None,
    ) -> None:
        self.name = stage
        self.transform = transform
        self.decoder = decoder
        #: one per declared output topic, and one for the dead-letter topic
        self.encoders = dict(encoders)
        self.dlq_topic = dlq_topic
        self.state = state

    def prepare(self, messages: list[Message]) -> Prepared:
        """Decode, transform and encode a batch of messages."""
        if self.state is not None:  # a retried attempt starts again from committed state
            self.state.begin()
        records: list[InRecord] = []
        rejected: list[Rejection] = []
        decode = self.decoder.decode
        append = records.append
        for m in messages:  # the hot loop: keep it free of calls that are not needed
            raw = m.value()
            try:
                value = decode(raw)
            except DecodeError as exc:
                rejected.append(
                    Rejection(_in_record(m, raw, {}), "DECODE", [Reason(exc.rule, exc.message)])
                )
                continue
            kind, ts = m.timestamp()
            # inlined _in_record: this loop runs once per record; the stubs make topic,
            # partition and offset optional, but a message without error always has them
            topic, partition, offset = m.topic(), m.partition(), m.offset()
            append(InRecord(topic, partition, offset, ts if kind else None, m.key(), raw, value))  # type: ignore[arg-type]
        result = self._transform(records)
        result.rejected[:0] = rejected  # decode failures first, in input order
        return self.encode(result)

    def encode(self, result: BatchResult) -> Prepared:
        """Encode outputs and dead letters; outputs that do not fit dead-letter their source."""
        rejected = list(result.rejected)
        pending: list[Pending] = []
        now_ms = int(time.time() * 1000)
        dlq = self.encoders[self.dlq_topic]
        out_counts: Counter[str] = Counter()
        for out in result.outputs:
            encoder = self.encoders.get(out.topic)
            if encoder is None:
                raise ValueError(
                    f"stage {self.name} produced to {out.topic!r}, which is not one of its "
                    f"declared outputs {sorted(o for o in self.encoders if o != self.dlq_topic)}"
                )
            try:
                data = encoder.encode(out.value)
            except Exception as exc:  # the value does not fit the schema: bad data, not a crash
                if out.source is not None:
                    rejected.append(Rejection(out.source, "ENCODE", [encode_rejection(out, exc)]))
                else:
                    letter = unencodable_output(self.name, out, exc, now_ms, encoder.fields)
                    pending.append(Pending(self.dlq_topic, letter["key"], dlq.encode(letter)))
                continue
            key = out.key.encode() if isinstance(out.key, str) else out.key
            pending.append(Pending(out.topic, key, data, out.headers))
            out_counts[out.topic] += 1
        dlq_counts: Counter[str] = Counter()
        for rejection in rejected:
            letter = dead_letter(self.name, rejection, now_ms)
            pending.append(Pending(self.dlq_topic, rejection.record.key, dlq.encode(letter)))
            dlq_counts[rejection.kind] += 1
        return pending, out_counts, dlq_counts

    def _transform(self, records: list[InRecord]) -> BatchResult:
        """The batch transform; if it raises, isolate the records that make it raise."""
        if not records:
            return BatchResult()
        try:
            return self.transform(records)
        except Exception:
            log.exception(
                "stage %s: transform failed on a batch; retrying record by record", self.name
            )
        state = self.state
        if state is not None:  # the failed attempt's writes must not count
            state.rollback()
        result = BatchResult()
        for record in records:
            if state is not None:
                state.savepoint()
            try:
                one = self.transform([record])
            except Exception as exc:
                if state is not None:  # nor the writes of a record that made it raise
                    state.rollback_to_savepoint()
                reason = Reason("transform_error", f"{type(exc).__name__}: {exc}")
                result.rejected.append(Rejection(record, "TRANSFORM", [reason]))
                continue
            result.outputs.extend(one.outputs)
            result.rejected.extend(one.rejected)
        return result


def message_position(m: Message) -> tuple[str, int, int]:
    """Topic, partition, offset: always set on a consumed message without error."""
    return cast(tuple[str, int, int], (m.topic(), m.partition(), m.offset()))


def _in_record(m: Message, raw: bytes | None, value: dict[str, Any]) -> InRecord:
    kind, ts = m.timestamp()
    return InRecord(*message_position(m), ts if kind else None, m.key(), raw, value)


def batch_offsets(messages: list[Message]) -> tuple[list[TopicPartition], list[TopicPartition]]:
    """The offsets to commit (last + 1) and to rewind to (first), per input partition."""
    last: dict[tuple[str, int], int] = {}
    first: dict[tuple[str, int], int] = {}
    for m in messages:
        topic, partition, offset = message_position(m)
        tp = (topic, partition)
        last[tp] = offset
        first.setdefault(tp, offset)
    commit = [TopicPartition(t, p, o + 1) for (t, p), o in last.items()]
    rewind = [TopicPartition(t, p, o) for (t, p), o in first.items()]
    return commit, rewind


def rewind(stage: str, consumer: Consumer, firsts: list[TopicPartition]) -> None:
    """Seek back to the first offsets of an aborted batch. A partition no longer ours
    cannot be, nor needs to be: its new owner starts from the commit. One still ours
    that cannot be would go on after the batch and skip it: the stage stops instead,
    and a fresh start resumes at the committed offsets."""
    for tp in firsts:
        try:
            consumer.seek(tp)
        except KafkaException as exc:
            ours = {(a.topic, a.partition) for a in consumer.assignment()}
            if (tp.topic, tp.partition) in ours:
                raise RuntimeError(
                    f"stage {stage}: could not go back to offset {tp.offset} of "
                    f"{tp.topic}[{tp.partition}] to redo an aborted batch "
                    f"({exc.args[0].str()}); stopping, a fresh start redoes it"
                ) from exc
            log.info(
                "stage %s: %s[%d] is no longer ours; its new owner redoes the batch",
                stage,
                tp.topic,
                tp.partition,
            )


def tune_garbage_collector() -> None:
    """Collect cycles less often (a collection every 700 allocations cost the features step
    25-50% of its time and the monitoring transform more than half), and leave start-up's
    objects out of the walk: a batch allocates millions of short-lived ones. Every stage
    does this when it starts; a benchmark of a transform alone does it to be measured as it
    runs."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
