"""Predictions joined with their labels, in the stage's store ``pending``.

A stream prediction waits under ``p:{event_id}`` as ``[event_time, [seen, ...]]``, one
``seen`` per model version and role (version, role, score, what it predicted as text),
expiring in event time so that the disk backend can hold days of them. A label joins every
prediction of its event; a label that comes before its prediction waits under
``l:{event_id}`` as ``[known_at, label text]``. With ``negative_after_delay``, each
prediction's event id is also filed by the interval of its event time (the partition's
clock lists the buckets in ``due``), and one still unlabelled once the label delay has
passed is labelled negative at event time plus delay, as training's datasets do. A
bucket's ids fill ``d:{bucket}``; each time it holds `DUE_CHUNK` of them they move, once,
to ``d:{bucket}:{k}`` (the clock counts them in ``sealed``), so that a batch writes at
most a chunk of a bucket again, not every id of its half hour: at a thousand events a
second that list grew to hundreds of thousands of ids, packed into the changelog by
every batch.
Each join is an outcome (`outcomes.py`); where the partition keeps it is its business.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from streamops.features import event_time_ms
from streamops.state import PartitionState
from streamops_monitoring.outcomes import label_text, predicted_text, score

#: Event ids per sealed chunk of a bucket's due list
DUE_CHUNK = 1000

if TYPE_CHECKING:
    from streamops_monitoring.partition import Timing


class LabelJoin:
    """Holds one partition's predictions until their labels (or their delay) come."""

    def __init__(self, timing: Timing, task: str) -> None:
        self.timing = timing
        self.task = task

    def hold(
        self,
        pending: PartitionState,
        clock: dict[str, Any],
        rows: Sequence[dict[str, Any]],
        times: Sequence[int],
    ) -> list[list[Any]]:
        """Keep each prediction of ``rows`` (event times ``times``) for its label, or join
        it with the label that came first; the outcomes of those joined."""
        outcomes: list[list[Any]] = []
        for r, event_time in zip(rows, times, strict=True):
            seen = [r["model_version"], r["served_by"], score(r), predicted_text(self.task, r)]
            early = pending.get(f"l:{r['event_id']}")
            if early is not None:  # the label came first
                outcomes.append([early[0], *seen, early[1], event_time])
                continue
            key = f"p:{r['event_id']}"
            held = pending.get(key)
            if held is None:
                held = [event_time, []]
                if self.timing.negative_after_ms is not None:
                    self._file_due(pending, clock, r["event_id"], event_time)
            if seen not in held[1]:  # a replayed prediction is the same prediction
                held[1].append(seen)
            pending.set(key, held, time_ms=event_time)
        return outcomes

    def join(self, pending: PartitionState, rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
        """Join the labels of ``rows`` with the predictions waiting for them (a label whose
        prediction is not here yet waits for it); the outcomes."""
        binary = self.task == "binary"
        after = self.timing.negative_after_ms
        outcomes: list[list[Any]] = []
        for r in rows:
            known_at, event_time = event_time_ms(r["label_time"]), event_time_ms(r["event_time"])
            if after is not None and known_at > event_time + after:
                continue  # the prediction was labelled negative when the delay passed
            text = label_text(r["value"], binary)
            key = f"p:{r['event_id']}"
            held = pending.get(key)
            if held is None:  # its prediction is not here yet: the label waits for it
                pending.set(f"l:{r['event_id']}", [known_at, text], time_ms=event_time)
                continue
            pending.delete(key)
            outcomes += [[known_at, *seen, text, held[0]] for seen in held[1]]
        return outcomes

    def negatives(self, pending: PartitionState, clock: dict[str, Any]) -> list[list[Any]]:
        """Label negative the predictions still unlabelled once their delay has passed, by
        the partition's ``clock`` (its watermark, and how far the labels have been read),
        and drop their buckets from ``clock["due"]``; the outcomes."""
        after = self.timing.negative_after_ms
        if after is None or not clock["due"]:
            return []
        step, wm, read = self.timing.step_ms, clock["wm"], clock.get("labels")
        # not before the labels input has been read that far (it may lag the features and
        # the predictions: a label still in it is not a silence), but at most lead_ms behind
        limit = wm if read is None else max(min(wm, read), wm - self.timing.lead_ms)
        due = sorted(b for b in clock["due"] if b + step + after <= limit)
        sealed: dict[str, int] = clock.get("sealed", {})
        outcomes: list[list[Any]] = []
        for bucket in due:
            keys = [f"d:{bucket}:{k}" for k in range(sealed.pop(str(bucket), 0))]
            keys.append(f"d:{bucket}")
            for key in keys:
                for event_id in pending.get(key) or []:
                    held = pending.get(f"p:{event_id}")
                    if held is not None:
                        pending.delete(f"p:{event_id}")
                        outcomes += [[held[0] + after, *seen, "0", held[0]] for seen in held[1]]
                pending.delete(key)
        if due:
            clock["due"] = [b for b in clock["due"] if b not in due]
        return outcomes

    def _file_due(
        self, pending: PartitionState, clock: dict[str, Any], event_id: str, event_time: int
    ) -> None:
        bucket = event_time - event_time % self.timing.step_ms
        key = f"d:{bucket}"
        ids = pending.get(key) or []
        ids.append(event_id)
        if len(ids) >= DUE_CHUNK:  # full: sealed under its own key, written this once
            sealed = clock.setdefault("sealed", {})
            chunk = sealed.get(str(bucket), 0)
            pending.set(f"{key}:{chunk}", ids, time_ms=event_time)
            sealed[str(bucket)] = chunk + 1
            ids = []
        pending.set(key, ids, time_ms=event_time)
        if bucket not in clock["due"]:
            clock["due"].append(bucket)
