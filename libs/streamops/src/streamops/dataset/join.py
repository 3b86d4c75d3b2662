"""The point-in-time join of features with labels, as they were known at a cut-off.

Pure: records in, rows out, no Kafka. Times are epoch milliseconds, and the cut-off is in
event time, inclusive:

- A features record is a row candidate when its ``event_time <= cutoff`` (records flagged
  late included, with their flag).
- A label is known at the cut-off when its ``label_time <= cutoff``; a later one is never
  used, so nothing from after the cut-off leaks into the training set.
- A row's label is the known label of its event (``Label.event_id`` equals the record's
  join value) with the latest ``label_time``; on a tie the one read later wins (higher
  partition, then higher offset, so the answer does not depend on the read order).
- No known label: with ``negative_after_delay`` and ``event_time + expected_delay <=
  cutoff`` the row is a negative (0.0), else it is unlabelled and left out. There is no
  negative class for multiclass and regression labels, so for them the rule is ignored
  (always: it is the spec's default) and unlabelled rows are left out.
- Labels that do not fit the spec's kind (a string for binary or regression, a number for
  multiclass, a binary value other than 0.0 or 1.0) are ignored and counted; validation
  should have kept them out of ``labels.valid``.

Rows come out ordered by event time, then event id (then the event's source partition
and offset, for the rare duplicate), which are all columns: the order, like the content,
depends only on what was read. Duplicate features records of one event (an at-least-once
replay) are kept, one row each, as they are in the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from streamops.pipeline.spec import LabelKind, PipelineSpec

#: How a row got its label: a label record, or the expected delay passing without one.
LABELLED = "labelled"
NEGATIVE_AFTER_DELAY = "negative_after_delay"
NEGATIVE = 0.0
POSITIVE = 1.0


@dataclass(frozen=True)
class LabelRecord:
    """One record of ``labels.valid``: what the join needs, and where it was read."""

    event_id: str
    value: float | str
    label_time_ms: int
    partition: int
    offset: int


@dataclass(frozen=True)
class LabelRules:
    """The spec's ``labels:`` section as the join applies it."""

    join_field: str  # the features record's field matched against Label.event_id
    kind: LabelKind
    expected_delay_ms: int
    negative_after_delay: bool

    @classmethod
    def from_spec(cls, spec: PipelineSpec) -> LabelRules:
        """The rules of a spec with a labels section (ValueError without one)."""
        if spec.labels is None:
            raise ValueError(f"pipeline {spec.name} has no labels section")
        labels = spec.labels
        # features records carry the event id as event_id, and another join key by its name
        join = "event_id" if labels.join_key == spec.event.id_field else labels.join_key
        return cls(
            join_field=join,
            kind=labels.kind,
            expected_delay_ms=round(labels.expected_delay.total_seconds() * 1000),
            negative_after_delay=labels.negative_after_delay,
        )

    @property
    def negatives_by_delay(self) -> bool:
        """Whether a missing label becomes the negative class (binary labels only)."""
        return self.negative_after_delay and self.kind == "binary"

    def fits(self, value: float | str) -> bool:
        """Whether a label value is one of this kind's."""
        if self.kind == "multiclass":
            return isinstance(value, str)
        if isinstance(value, str):
            return False
        return value in (NEGATIVE, POSITIVE) if self.kind == "binary" else True


@dataclass(frozen=True)
class JoinCounts:
    """What the join did with what it was given."""

    features_read: int
    features_after_cutoff: int
    rows: int
    positives: int | None  # binary labels only
    negatives_by_label: int | None  # binary labels only
    negatives_by_delay: int
    unlabelled: int  # by the cut-off, left out of the rows
    labels_read: int
    labels_after_cutoff: int
    labels_ignored: int  # not of the spec's kind

    def as_dict(self) -> dict[str, int | None]:
        """The counts by name, in a fixed order."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Joined:
    """The labelled rows (features record fields plus label, label_source, label_time)."""

    rows: list[dict[str, Any]]
    counts: JoinCounts


def known_labels(
    labels: Iterable[LabelRecord], rules: LabelRules, cutoff_ms: int
) -> tuple[dict[str, LabelRecord], int, int, int]:
    """The latest label of each event known at the cut-off; and how many labels were read,
    were from after the cut-off, and were ignored for not fitting the kind."""
    latest: dict[str, LabelRecord] = {}
    read = after = ignored = 0
    for label in labels:
        read += 1
        if label.label_time_ms > cutoff_ms:
            after += 1
            continue
        if not rules.fits(label.value):
            ignored += 1
            continue
        current = latest.get(label.event_id)
        if current is None or _order(label) > _order(current):
            latest[label.event_id] = label
    return latest, read, after, ignored


def _order(label: LabelRecord) -> tuple[int, int, int]:
    return (label.label_time_ms, label.partition, label.offset)


def join_point_in_time(
    features: Sequence[Mapping[str, Any]],
    labels: Iterable[LabelRecord],
    rules: LabelRules,
    cutoff_ms: int,
) -> Joined:
    """Label every features record known at the cut-off with what was known of it then."""
    latest, labels_read, labels_after, labels_ignored = known_labels(labels, rules, cutoff_ms)
    rows: list[dict[str, Any]] = []
    after = unlabelled = by_delay = positives = negatives = 0
    for record in features:
        event_time: int = record["event_time"]
        if event_time > cutoff_ms:
            after += 1
            continue
        label = latest.get(record[rules.join_field])
        if label is not None:
            row = {
                **record,
                "label": label.value,
                "label_source": LABELLED,
                "label_time": label.label_time_ms,
            }
            positives += label.value == POSITIVE
            negatives += label.value == NEGATIVE
        elif rules.negatives_by_delay and event_time + rules.expected_delay_ms <= cutoff_ms:
            row = {
                **record,
                "label": NEGATIVE,
                "label_source": NEGATIVE_AFTER_DELAY,
                "label_time": None,
            }
            by_delay += 1
        else:
            unlabelled += 1
            continue
        rows.append(row)
    rows.sort(key=row_order)
    binary = rules.kind == "binary"
    counts = JoinCounts(
        features_read=len(features),
        features_after_cutoff=after,
        rows=len(rows),
        positives=positives if binary else None,
        negatives_by_label=negatives if binary else None,
        negatives_by_delay=by_delay,
        unlabelled=unlabelled,
        labels_read=labels_read,
        labels_after_cutoff=labels_after,
        labels_ignored=labels_ignored,
    )
    return Joined(rows, counts)


def row_order(row: Mapping[str, Any]) -> tuple[int, str, int, int]:
    """The dataset's row order: event time, event id, then the event's source position."""
    return (row["event_time"], row["event_id"], row["source_partition"], row["source_offset"])
