"""The features transform: valid events in, one features record per event out.

The window state lives in the stage's store (`streamops.features.STORE`), so a batch redone
after an abort, a restart or a rebalance computes exactly what it did the first time; the
computation itself is the library's (`streamops.features`), which serving's online view
runs too.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter

from streamops.features import STORE, FeatureEngine, FeatureSet, event_time_ms
from streamops.runtime import BatchResult, InRecord, OutRecord, Reason, Rejection
from streamops.state import StageState
from streamops_features.metrics import FeaturesMetrics


class Featurizer:
    """Computes the features of a pipeline's events; usable as a Stage transform."""

    def __init__(
        self,
        features: FeatureSet,
        state: StageState,
        output_topic: str,
        metrics: FeaturesMetrics | None = None,
    ) -> None:
        self.features = features
        self.state = state
        self.output_topic = output_topic
        self.metrics = metrics
        self.engine = FeatureEngine(features)
        fields = features.fields
        self._values = (
            itemgetter(*fields) if len(fields) > 1 else (lambda v: tuple(v[f] for f in fields))
        )
        extra = features.spec.passthrough
        self._passthrough = (
            itemgetter(*extra) if len(extra) > 1 else (lambda v: tuple(v.get(f) for f in extra))
        )

    def featurize_batch(self, records: Sequence[InRecord]) -> BatchResult:
        """One features record per event, in each partition's order."""
        result = BatchResult()
        by_partition: dict[int, list[InRecord]] = {}
        for r in records:
            by_partition.setdefault(r.partition, []).append(r)
        late = 0
        for p, recs in sorted(by_partition.items()):
            late += self._partition(p, recs, result)
        self._count(len(result.outputs), late)
        return result

    def _partition(self, p: int, records: list[InRecord], result: BatchResult) -> int:
        fs = self.features
        key_field, time_field, id_field, join = (
            fs.key_field,
            fs.time_field,
            fs.id_field,
            fs.join_field,
        )
        events, heads = [], []
        for r in records:
            v = r.value
            key, event_id = v.get(key_field), v.get(id_field)
            if not isinstance(key, str) or not isinstance(event_id, str):
                result.rejected.append(_unusable(r, key_field if key is None else id_field))
                continue
            try:
                time_ms = event_time_ms(v.get(time_field))
            except TypeError as exc:
                result.rejected.append(
                    Rejection(r, "VALIDATION", [Reason("event_time", str(exc), field=time_field)])
                )
                continue
            events.append((key, time_ms, self._values(v), self._passthrough(v)))
            heads.append((r, (event_id, key, time_ms, r.topic, r.partition, r.offset)))
        part = self.state.partition(STORE, p)
        late = 0
        outputs, topic = result.outputs, self.output_topic
        # each record a tuple of the schema's fields in order (`FeatureSet.schema`): the
        # event's, late, the join key if any, the features
        for (r, head), (vector, is_late) in zip(
            heads, self.engine.apply(part, events), strict=True
        ):
            if join is None:
                value = (*head, is_late, *vector)
            else:
                value = (*head, is_late, r.value.get(join), *vector)
            outputs.append(OutRecord(topic, value, head[1], None, r))
            late += is_late
        return late

    def watermark_ms(self) -> int | None:
        """The newest event time over the partitions this replica holds."""
        marks = [self.state.partition(STORE, p).watermark_ms for p in sorted(self.state.assigned)]
        known = [m for m in marks if m is not None]
        return max(known) if known else None

    def _count(self, events: int, late: int) -> None:
        m = self.metrics
        if m is None:
            return
        m.events.labels(m.pipeline).inc(events)
        if late:
            m.late.labels(m.pipeline).inc(late)
        mark = self.watermark_ms()
        if mark is not None:
            m.watermark.labels(m.pipeline).set(mark / 1000)


def _unusable(record: InRecord, field: str) -> Rejection:
    return Rejection(
        record,
        "VALIDATION",
        [Reason("not_null", f"{field} is needed to compute features", field=field)],
    )
