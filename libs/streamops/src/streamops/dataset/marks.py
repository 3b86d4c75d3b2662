"""Where reads of the features topic reached in event time, so that later reads can skip
what is too old for them.

A training job keeps only the rows of its look-back (fraud.yaml: 14 days), and a new
champion's probation only those after its promotion, yet a build reads every partition
from its first kept offset: each job reads the whole retained history again. `Marks`
remembers, per partition, points of the reads so far as (offset, newest event time of
every record before that offset). A build that needs event times from ``since_ms`` on may
start each partition at the last mark whose newest event time is below ``since_ms``:
every record before it is older, so the rows from ``since_ms`` on are exactly those a
read from the first offset gives, and the identity's start offsets say where it began
(a rebuild from those offsets gives the same hash).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Marks", "sample_reach"]

#: A mark every this many records of a partition (and one after its last record read).
EVERY = 2000


def sample_reach(
    positions: list[tuple[int, int, int]],
) -> dict[int, list[tuple[int, int]]]:
    """From a read's records as (partition, offset, event time ms), in offset order per
    partition: per partition, (offset after a record, newest event time of the read up to
    and including it), every `EVERY` records and after the last."""
    reach: dict[int, list[tuple[int, int]]] = {}
    newest: dict[int, int] = {}
    seen: dict[int, int] = {}
    last: dict[int, int] = {}
    for partition, offset, event_time in positions:
        top = max(newest.get(partition, event_time), event_time)
        newest[partition] = top
        seen[partition] = n = seen.get(partition, 0) + 1
        last[partition] = offset
        if n % EVERY == 0:
            reach.setdefault(partition, []).append((offset + 1, top))
    for partition, offset in last.items():
        marks = reach.setdefault(partition, [])
        if not marks or marks[-1][0] != offset + 1:
            marks.append((offset + 1, newest[partition]))
    return reach


@dataclass
class Marks:
    """Per partition of the features topic: (offset, newest event time before it), in
    offset order, learned from builds that started at a partition's first kept offset or
    at one of these marks."""

    by_partition: dict[int, list[tuple[int, int]]] = field(default_factory=dict)

    def learn(self, starts: Mapping[int, int], reach: Mapping[int, list[tuple[int, int]]]) -> None:
        """Take in a build that read each partition from ``starts`` on and reached
        ``reach`` (`sample_reach` of its records)."""
        for partition, start in starts.items():
            known = self.by_partition.get(partition, [])
            before = [m for m in known if m[0] <= start]
            if before and before[-1][0] != start:
                # the read began between two marks: what came before it is not known
                self.by_partition.pop(partition, None)
                continue
            floor = before[-1][1] if before else None
            fresh = [
                (o, t if floor is None else max(floor, t))
                for o, t in reach.get(partition, [])
                if o > start
            ]
            self.by_partition[partition] = before + fresh

    def starts(self, since_ms: int) -> dict[int, int]:
        """Per partition with marks, the offset to read from when only event times from
        ``since_ms`` on are wanted (partitions left out: read from the first offset)."""
        found: dict[int, int] = {}
        for partition, marks in self.by_partition.items():
            older = [o for o, newest in marks if newest < since_ms]
            if older:
                found[partition] = older[-1]
        return found

    def newest(self) -> int | None:
        """The newest event time any read reached (None before the first)."""
        tops = [marks[-1][1] for marks in self.by_partition.values() if marks]
        return max(tops) if tops else None
