"""Labelled predictions (outcomes) as a partition keeps them: as text, and in chunks.

An outcome is ``[known_at, model_version, role, score, predicted, label, event_time]``:
when its label became known, what the version predicted and what the label said, both as
text (`label_text`, `predicted_text`). Each interval of a partition's state keeps its
outcomes in chunks of `OUTCOMES_PER_CHUNK` under ``o:{start}:{k}`` (`store_outcomes`),
and its counts under ``i:{start}`` (`empty_interval`), ``oc`` counting the chunks.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from streamops.state import PartitionState

__all__ = [
    "OUTCOMES_PER_CHUNK",
    "chunks_of",
    "empty_interval",
    "label_text",
    "predicted_text",
    "score",
    "store_outcomes",
]

#: Labelled predictions per state value and per partial: an interval's outcomes are kept in
#: chunks of this many (``o:{start}:{k}``), so no record outgrows a broker's default 1 MiB
#: limit however many labels an interval gets (a backlog joined at once, a fast stream).
OUTCOMES_PER_CHUNK = 4000


def empty_interval(version: int = 0) -> dict[str, Any]:
    """Counts of one interval; ``oc``: how many chunks of outcomes it has."""
    return {"v": version, "n": 0, "f": {}, "pn": 0, "s": None, "oc": 0}


def chunks_of(interval: dict[str, Any] | None) -> int:
    """How many chunks of outcomes an interval has (none for no interval)."""
    return int(interval.get("oc", 0)) if interval is not None else 0


def store_outcomes(
    state: PartitionState, clock: dict[str, Any], outcomes: list[list[Any]], step_ms: int
) -> None:
    """Add ``outcomes`` to the intervals their labels became known in (a late label to the
    oldest interval still open, per the partition's ``clock``), filling the last chunk."""
    if not outcomes:
        return
    by_start: defaultdict[int, list[list[Any]]] = defaultdict(list)
    for o in outcomes:
        start = o[0] - o[0] % step_ms
        if clock["next"] is not None:  # a late label still counts, in the oldest open
            start = max(start, clock["next"])
        by_start[start].append(o)
        if start not in clock["open"]:
            clock["open"].append(start)
    for start, group in by_start.items():
        interval = state.get(f"i:{start}") or empty_interval()
        chunks = interval["oc"]
        last = state.get(f"o:{start}:{chunks - 1}") if chunks else None
        if last is not None and len(last) < OUTCOMES_PER_CHUNK:
            room = OUTCOMES_PER_CHUNK - len(last)
            state.set(f"o:{start}:{chunks - 1}", last + group[:room])
            group = group[room:]
        for i in range(0, len(group), OUTCOMES_PER_CHUNK):
            state.set(f"o:{start}:{chunks}", group[i : i + OUTCOMES_PER_CHUNK])
            chunks += 1
        if chunks != interval["oc"]:
            interval["oc"] = chunks
            state.set(f"i:{start}", interval)


def label_text(value: float | str, binary: bool) -> str:
    """A Label's value as text: binary 1 or 0, a regression value, a class name."""
    if isinstance(value, str):
        return value
    if binary:
        return "1" if value >= 0.5 else "0"
    return repr(float(value))


def predicted_text(task: str, r: dict[str, Any]) -> str:
    """What a Prediction ``r`` predicted, as text comparable with `label_text`."""
    if task == "binary":
        score, label = r.get("score"), r.get("predicted_label")
        positive = next((c for c, p in r["probabilities"].items() if p == score), None)
        return "1" if label is not None and label == positive else "0"
    if task == "regression":
        return repr(float(r["score"])) if r.get("score") is not None else ""
    return str(r.get("predicted_label") or "")


def score(r: dict[str, Any]) -> float | None:
    """A Prediction's score (multiclass: the top class's probability)."""
    value = r.get("score")
    if value is None and r.get("probabilities"):
        return float(max(r["probabilities"].values()))  # multiclass: the top class's
    return None if value is None else float(value)
