"""The dataset's identity: a content hash that depends on the rows only, and its JSON form."""

from __future__ import annotations

import pytest

from streamops.dataset import DatasetError, DatasetIdentity
from streamops.dataset.identity import TopicRange, content_hash, iso_utc

COLUMNS = ("event_id", "event_time", "amount", "label", "label_time")
ROWS = [
    ("e1", 1_767_225_600_000, 12.5, 1.0, 1_767_225_600_001),
    ("e2", 1_767_225_600_500, None, 0.0, None),
]


def test_the_same_rows_give_the_same_hash() -> None:
    first = content_hash(COLUMNS, ROWS)
    assert first.startswith("sha256:") and len(first) == len("sha256:") + 64
    assert content_hash(list(COLUMNS), [list(r) for r in ROWS]) == first
    assert content_hash(COLUMNS, iter(ROWS)) == first


@pytest.mark.parametrize(
    ("columns", "rows"),
    [
        (COLUMNS, [ROWS[0], (*ROWS[1][:3], 1.0, None)]),  # a label flipped
        (COLUMNS, [(*ROWS[0][:2], 12.500000001, *ROWS[0][3:]), ROWS[1]]),  # a value nudged
        (COLUMNS, [ROWS[0], (*ROWS[1][:2], 0.0, *ROWS[1][3:])]),  # null became 0
        (COLUMNS, [ROWS[1], ROWS[0]]),  # the order
        (COLUMNS, ROWS[:1]),  # a row less
        (("id", *COLUMNS[1:]), ROWS),  # a column renamed
    ],
)
def test_any_change_of_content_changes_the_hash(
    columns: tuple[str, ...], rows: list[tuple[object, ...]]
) -> None:
    assert content_hash(columns, rows) != content_hash(COLUMNS, ROWS)


def identity() -> DatasetIdentity:
    return DatasetIdentity(
        pipeline="fraud",
        cutoff_ms=1_767_225_600_000,
        features=TopicRange("fraud.features", {0: (0, 120), 1: (5, 98)}, (7, 9), 213, 1),
        labels=TopicRange("fraud.labels.valid", {0: (0, 10), 1: (0, 0)}, (3,), 10),
        counts={"rows": 200, "positives": 12, "negatives_by_label": None},
        content_hash=content_hash(COLUMNS, ROWS),
        columns=COLUMNS,
    )


def test_the_identity_survives_its_json_form() -> None:
    original = identity()
    text = original.dumps()
    assert '"cutoff": "2026-01-01T00:00:00.000Z"' in text
    assert DatasetIdentity.loads(text) == original
    assert DatasetIdentity.loads(text.encode()) == original


def test_the_end_offsets_are_what_rebuilds_the_dataset() -> None:
    assert identity().end_offsets() == {
        "fraud.features": {0: 120, 1: 98},
        "fraud.labels.valid": {0: 10, 1: 0},
    }


@pytest.mark.parametrize("text", ["{}", "[]", "not json", '{"format": 99}'])
def test_what_is_not_an_identity_is_refused(text: str) -> None:
    with pytest.raises(DatasetError):
        DatasetIdentity.loads(text)


def test_times_print_in_utc_to_the_millisecond() -> None:
    assert iso_utc(1_767_225_600_123) == "2026-01-01T00:00:00.123Z"
    assert iso_utc(0) == "1970-01-01T00:00:00.000Z"
