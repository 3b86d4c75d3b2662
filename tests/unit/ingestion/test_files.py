"""File ingestion without a broker: readers, CSV conversion, the ingest loop, the summary."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from streamops.events.errors import EventConfigError
from streamops_ingestion.files.command import check_columns
from streamops_ingestion.files.ingest import ingest_rows
from streamops_ingestion.files.readers import Row, detect_format, open_source
from streamops_ingestion.files.summary import render_summary
from tests.unit.events.samples import transaction
from tests.unit.ingestion.fakes import FakeProducer, fraud_target

COLUMNS = list(transaction())


def write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str] = COLUMNS) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", newline="") as out:
        writer = csv.DictWriter(out, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_all(path: Path, chunk_rows: int = 1000) -> list[Row]:
    source = open_source(path, detect_format(path), chunk_rows)
    return [row for chunk in source.chunks() for row in chunk]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("a.csv", "csv"), ("a.CSV.gz", "csv"), ("b.parquet", "parquet"), ("c.ndjson.zst", "jsonl")],
)
def test_the_format_comes_from_the_extension(name: str, expected: str) -> None:
    assert detect_format(Path(name)) == expected


def test_an_unknown_extension_asks_for_format() -> None:
    with pytest.raises(EventConfigError, match="pass --format"):
        detect_format(Path("events.txt"))


def test_csv_cells_are_strings_and_empty_cells_null(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv.gz", [transaction(), transaction(amount="", card_id="c")])
    rows = read_all(path)
    assert [r.number for r in rows] == [1, 2]
    assert rows[0].data["amount"] == "12.5" and rows[0].data["device_id"] is None
    assert rows[1].data["amount"] is None and rows[1].data["card_id"] == "c"


def test_csv_rows_with_the_wrong_cell_count_keep_their_place(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", [transaction()] * 3)
    lines = path.read_text().splitlines()
    lines.insert(2, "only,three,cells")
    lines.append('"multi\nline",' + lines[1].split(",", 1)[1])
    path.write_text("\n".join(lines) + "\n")
    source = open_source(path, "csv", 2)
    assert source.total == 6  # line breaks less the header: the quoted one counts too
    rows = [row for chunk in source.chunks() for row in chunk]
    assert [r.number for r in rows] == [1, 2, 3, 4, 5]
    bad = rows[1]
    assert bad.data is None and bad.error is not None
    assert (bad.error.reason, bad.error.message) == (
        "malformed_row",
        f"expected {len(COLUMNS)} cells, found 3",
    )
    assert rows[4].data["card_id"] == "multi\nline"


def test_parquet_values_arrive_typed(tmp_path: Path) -> None:
    table = pa.table(
        {
            "card_id": ["card-000001", "card-000002"],
            "amount": [1.5, None],
            "event_time": pa.array(
                [1_700_000_000_000, 1_700_000_000_001], pa.timestamp("ms", "UTC")
            ),
            "__index_level_0__": [0, 1],
        }
    )
    pq.write_table(table, tmp_path / "t.parquet")
    source = open_source(tmp_path / "t.parquet", "parquet", 1)
    assert source.columns == ["card_id", "amount", "event_time"] and source.total == 2
    rows = [row for chunk in source.chunks() for row in chunk]
    assert [r.number for r in rows] == [1, 2]
    target, encoder = fraud_target()
    outcome = target.process(rows[0].data, source="file")
    assert encoder.decode(outcome.value)["event_time"].timestamp() == 1_700_000_000  # type: ignore[union-attr]


def test_jsonl_lines_are_rows_and_bad_lines_explained(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(transaction()) + "\n\n{oops\n[1]\n")
    source = open_source(path, "jsonl", 2)
    rows = [row for chunk in source.chunks() for row in chunk]
    assert source.position() == source.total == path.stat().st_size
    assert [r.number for r in rows] == [1, 3, 4]
    assert rows[1].error is not None and rows[1].error.reason == "malformed_json"
    assert (
        rows[1].error.message
        == "not JSON at column 2: Expecting property name enclosed in double quotes"
    )
    assert rows[2].data == [1]


def test_jsonl_lines_follow_the_http_apis_json_rules(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    lone_surrogate = json.dumps(transaction()).replace('"card_id": "', '"card_id": "\\ud800', 1)
    path.write_text(lone_surrogate + '\n{"amount": NaN}\n' + "[" * 100_000 + "\n")
    rows = [row for chunk in open_source(path, "jsonl", 10).chunks() for row in chunk]
    assert [(r.number, r.error and r.error.reason) for r in rows] == [
        (1, "malformed_json"),
        (2, "malformed_json"),
        (3, "malformed_json"),
    ]
    assert "surrogate" in rows[0].error.message  # type: ignore[union-attr]
    assert "NaN is not valid JSON" in rows[1].error.message  # type: ignore[union-attr]


def test_ingest_produces_good_rows_and_explains_bad_ones(tmp_path: Path) -> None:
    good = [transaction(card_id=f"card-{i:06d}") for i in range(5)]
    bad = [transaction(amount="abc"), transaction(event_time="", card_number="4111 bad")]
    path = write_csv(tmp_path / "t.csv", [*good[:2], bad[0], *good[2:], bad[1]])
    target, encoder = fraud_target()
    producer = FakeProducer()
    rejects = tmp_path / "rejects.jsonl"
    progress: list[tuple[int, int]] = []
    with rejects.open("w") as out:
        report = ingest_rows(
            open_source(path, "csv", 2),
            target,
            producer,
            source_name="file:t.csv",
            flush_timeout_s=1,
            rejects=out,
            on_progress=lambda position, rows: progress.append((position, rows)),
        )
    assert progress[-1] == (7, 7)
    assert (report.rows_read, report.produced, report.rejected) == (7, 5, 2)
    assert report.ok and producer.closed
    assert dict(report.by_reason) == {"wrong_type": 1, "missing_field": 1}
    assert [(r.row, r.errors[0].field) for r in report.first_rejected] == [
        (3, "amount"),
        (7, "event_time"),
    ]
    records = [encoder.decode(p.value) for p in producer.published]
    assert [r["card_id"] for r in records] == [g["card_id"] for g in good]
    assert {r["source"] for r in records} == {"file:t.csv"}
    assert [p.key for p in producer.published] == [g["card_id"] for g in good]
    lines = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [(x["row"], x["reason"]) for x in lines] == [(3, "wrong_type"), (7, "missing_field")]
    assert lines[1]["data"]["card_number"] != "4111 bad"  # PII treated in the rejects file too
    assert lines[1]["data"]["customer_email"] is None


def test_undelivered_rows_fail_the_ingest(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", [transaction()] * 3)
    target, _ = fraud_target()
    report = ingest_rows(
        open_source(path, "csv", 10),
        target,
        FakeProducer("fail"),
        source_name="f",
        flush_timeout_s=1,
    )
    assert not report.ok and report.delivery_failed == 3 and report.produced == 0
    assert report.first_delivery_errors[0] == (1, "Local: Message timed out")
    assert "FAILED" in render_summary(report, "fraud.events.raw", None)


def test_the_summary_says_rejections_are_not_a_failure(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", [transaction(), transaction(amount="x")])
    target, _ = fraud_target()
    report = ingest_rows(
        open_source(path, "csv", 10), target, FakeProducer(), source_name="f", flush_timeout_s=1
    )
    text = render_summary(report, "fraud.events.raw", tmp_path / "r.jsonl")
    lines = text.splitlines()
    assert lines[:4] == [
        "rows read                 2",
        "produced                  1   to fraud.events.raw",
        "rejected                  1",
        "  wrong_type              1",
    ]
    assert "row 2: amount: expected a number (double) or null, got 'x'" in text
    assert "1 rows were rejected for their data (not a failure; every one is in" in text


def test_a_header_that_cannot_work_fails_before_anything_is_sent() -> None:
    target, _ = fraud_target()
    check_columns(["card_id", "event_time"], target.preparer)  # the rest is optional or stamped
    with pytest.raises(EventConfigError) as caught:
        check_columns(["card_id", "amout"], target.preparer)
    message = str(caught.value)
    assert "columns not in the schema Transaction: amout" in message
    assert "required fields with no column: event_time" in message


def test_a_file_that_cannot_be_read_to_its_end_is_not_ok(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", [transaction()] * 3)
    path.write_bytes(path.read_bytes() + b"card-\xff\xfe,,,,,,,,,,,,\n")
    target, _ = fraud_target()
    report = ingest_rows(
        open_source(path, "csv", 10), target, FakeProducer(), source_name="f", flush_timeout_s=1
    )
    assert report.read_error is not None and "UTF8" in report.read_error
    assert not report.ok
    assert "STOPPED after row 0: the rest of the file could not be read" in render_summary(
        report, "fraud.events.raw", None
    )
