"""Stream scoring: every features record of ``{p}.features`` gets its Prediction.

A Stage transform: the features records of a batch are scored together (one model run per
version), champion or canary by entity as over HTTP, plus the shadow when there is one.
A Prediction's id derives from event id, version and role, so a batch redone after a crash
(at-least-once) writes records with the same ids, which consumers dedupe.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from streamops.features import event_time_ms
from streamops.runtime import BatchResult, InRecord, OutRecord, Reason, Rejection
from streamops_serving.lineup import Lineup
from streamops_serving.metrics import ServingMetrics
from streamops_serving.runtime.base import PredictError
from streamops_serving.scoring import Answer, EventRef, Scorer


class StreamScorer:
    """Scores features records with the scorer's current line-up; a Stage transform."""

    def __init__(self, scorer: Scorer, output_topic: str, metrics: ServingMetrics) -> None:
        self.scorer = scorer
        self.output_topic = output_topic
        self.metrics = metrics

    def score_batch(self, records: Sequence[InRecord]) -> BatchResult:
        """One Prediction per record and role; records that cannot be scored are rejected."""
        result = BatchResult()
        if not records:
            return result
        lineup = self.scorer.lineup  # the whole batch on one line-up
        try:
            self._score(records, result, lineup)
        except PredictError:
            for record in records:  # find the records at fault; score the others
                try:
                    self._score([record], result, lineup)
                except PredictError as exc:
                    reason = Reason("features", str(exc))
                    result.rejected.append(Rejection(record, "TRANSFORM", [reason]))
        stamps = np.fromiter((r.timestamp_ms or 0 for r in records), np.float64, len(records))
        seconds = time.time() - stamps[stamps > 0] / 1000
        self.metrics.event_to_prediction.observe_many(np.maximum(seconds, 0.0))
        return result

    def _score(self, records: Sequence[InRecord], result: BatchResult, lineup: Lineup) -> None:
        rows = [r.value for r in records]
        refs = [
            EventRef(
                r.value["event_id"],
                r.value["entity_key"],
                event_time_ms(r.value["event_time"]),
                {"topic": r.topic, "partition": r.partition, "offset": r.offset},
            )
            for r in records
        ]
        # each scoring gives one answer per record, in the records' order
        scored: list[list[Answer]] = [self.scorer.answer(rows, refs, "STREAM", lineup=lineup)]
        if lineup.shadow is not None:
            try:
                scored.append(self.scorer.score(lineup.shadow, "SHADOW", rows, refs, "STREAM"))
            except Exception:  # a shadow's failure never costs the champion's answers
                m = self.metrics
                m.shadow_errors.labels(m.pipeline).inc()
        topic, outputs = self.output_topic, result.outputs
        for answers in scored:
            for source, answer in zip(records, answers, strict=True):
                p = answer.prediction
                outputs.append(OutRecord(topic, p, key=p["entity_key"], source=source))
