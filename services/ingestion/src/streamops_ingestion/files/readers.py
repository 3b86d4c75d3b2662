"""Reading CSV, Parquet and JSONL files in chunks of rows, with a row number on every row.

CSV and Parquet go through pyarrow (streaming, never the whole file in memory); CSV cells
arrive as strings (empty cell: null) and are converted per the schema by the preparer.
Compressed files (.gz, .bz2, .zst, .lz4) are read as they are.
"""

from __future__ import annotations

import io
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

# pyarrow ships no type information
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from streamops.events.errors import EventConfigError, FieldError
from streamops.events.json_text import NotJson, strict_json

FileFormat = Literal["csv", "parquet", "jsonl"]
_FORMATS: dict[str, FileFormat] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_CODECS = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd", ".lz4": "lz4"}
# pandas writes its index into Parquet files under this name; it is not event data
_PANDAS_INDEX = "__index_level_"


@dataclass(frozen=True)
class Row:
    """One row of a file: its number (1-based, header excluded) and its data, or why it could not
    be read at all."""

    number: int
    data: Any
    error: FieldError | None = None


def detect_format(path: Path) -> FileFormat:
    """The format named by the file's extension (a compression suffix is looked through)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _CODECS:
        suffixes.pop()
    found = _FORMATS.get(suffixes[-1]) if suffixes else None
    if found is None:
        raise EventConfigError(
            f"cannot tell the format of {path.name} from its extension: pass --format csv, "
            "parquet or jsonl"
        )
    return found


class RowSource(ABC):
    """A file read chunk by chunk; ``position`` / ``total`` (in ``unit``) drive a progress bar."""

    #: True when values are text to be parsed per the schema (CSV), False for typed values
    text: bool = False
    unit: str = "bytes"
    total: int | None = None

    @property
    def columns(self) -> list[str] | None:
        """The columns of a file with a header (checked against the schema up front)."""
        return None

    @abstractmethod
    def chunks(self) -> Iterator[list[Row]]:
        """The rows, in order, a chunk at a time."""

    @abstractmethod
    def position(self) -> int:
        """How far reading got, in ``unit``."""


def open_source(path: Path, file_format: FileFormat, chunk_rows: int) -> RowSource:
    """A reader of ``path``; EventConfigError if the file cannot be opened."""
    try:
        if file_format == "csv":
            return CsvSource(path, chunk_rows)
        if file_format == "parquet":
            return ParquetSource(path, chunk_rows)
        return JsonlSource(path, chunk_rows)
    except (OSError, pa.ArrowException) as exc:
        raise EventConfigError(f"cannot read {path} as {file_format}: {exc}") from exc


def _open_raw(path: Path) -> tuple[pa.NativeFile, pa.NativeFile]:
    """The file (whose position is the progress) and the stream of its decompressed bytes."""
    raw = pa.OSFile(str(path), "r")
    codec = _CODECS.get(path.suffix.lower())
    return raw, (pa.CompressedInputStream(raw, codec) if codec else raw)


class CsvSource(RowSource):
    """A CSV file with a header row; every cell read as a string, empty cells as null."""

    text = True
    unit = "rows"

    def __init__(self, path: Path, chunk_rows: int) -> None:
        self._path = path
        self._chunk_rows = chunk_rows
        # pyarrow reads blocks ahead, so the file position says little; rows it is, counted
        # by lines (quoted line breaks make it an estimate; compressed files: unknown)
        self.total = None if path.suffix.lower() in _CODECS else max(_count_lines(path) - 1, 0)
        self._done = 0
        _, header_stream = _open_raw(path)
        with header_stream:  # only the header is wanted: bad rows of the first block are skipped
            skip = pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=_skip)
            self._columns = pacsv.open_csv(header_stream, parse_options=skip).schema.names
        _, self._stream = _open_raw(path)
        self._invalid: list[Row] = []

    @property
    def columns(self) -> list[str]:
        """The header's column names."""
        return list(self._columns)

    def position(self) -> int:
        """Rows read so far."""
        return self._done

    def chunks(self) -> Iterator[list[Row]]:
        """Rows in chunks of at most ``chunk_rows``; rows with too few or too many cells come
        as rows with an error (reason malformed_row), at their place in the file."""
        reader = pacsv.open_csv(
            self._stream,
            # one thread: pyarrow numbers invalid rows only then (the Python work per row
            # dominates anyway)
            read_options=pacsv.ReadOptions(block_size=1 << 22, use_threads=False),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=self._skip_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in self._columns},
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )
        skipped: set[int] = set()
        number = 0
        with self._stream:
            for batch in reader:
                skipped.update(row.number for row in self._invalid)
                for start in range(0, batch.num_rows, self._chunk_rows):
                    rows = []
                    for data in batch.slice(start, self._chunk_rows).to_pylist():
                        number += 1
                        while number in skipped:
                            number += 1
                        rows.append(Row(number, data))
                    self._done = number
                    yield self._with_invalid(rows, up_to=number)
        yield self._with_invalid([], up_to=None)
        self._done = max(self._done, number)

    def _skip_invalid(self, row: Any) -> str:
        """pyarrow's handler for a row with the wrong cell count: note it, skip it."""
        number = row.number - 1 if row.number else -1  # pyarrow counts the header row
        self._invalid.append(
            Row(
                number,
                None,
                FieldError(
                    None,
                    "malformed_row",
                    f"expected {row.expected_columns} cells, found {row.actual_columns}",
                ),
            )
        )
        return "skip"

    def _with_invalid(self, rows: list[Row], up_to: int | None) -> list[Row]:
        """``rows`` merged with the noted invalid rows up to row ``up_to`` (None: all)."""
        if not self._invalid:
            return rows
        due = [r for r in self._invalid if up_to is None or r.number <= up_to]
        self._invalid = [r for r in self._invalid if up_to is not None and r.number > up_to]
        return sorted(rows + due, key=lambda r: r.number)


def _count_lines(path: Path) -> int:
    """Line breaks in a file (about 1 s per GB)."""
    count = 0
    with path.open("rb") as data:
        while block := data.read(1 << 24):
            count += block.count(b"\n")
    return count


def _skip(_row: Any) -> str:
    return "skip"


class ParquetSource(RowSource):
    """A Parquet file, read by record batches; values arrive typed (timestamps as datetimes)."""

    unit = "rows"

    def __init__(self, path: Path, chunk_rows: int) -> None:
        self._file = pq.ParquetFile(str(path))
        self._chunk_rows = chunk_rows
        self.total = self._file.metadata.num_rows
        self._done = 0
        self._columns = [
            n for n in self._file.schema_arrow.names if not n.startswith(_PANDAS_INDEX)
        ]

    @property
    def columns(self) -> list[str]:
        """The file's columns (a pandas index column left out)."""
        return list(self._columns)

    def position(self) -> int:
        """Rows read so far."""
        return self._done

    def chunks(self) -> Iterator[list[Row]]:
        """Rows in chunks of at most ``chunk_rows``."""
        for batch in self._file.iter_batches(batch_size=self._chunk_rows, columns=self._columns):
            first = self._done + 1
            self._done += batch.num_rows
            yield [Row(first + i, data) for i, data in enumerate(batch.to_pylist())]


class JsonlSource(RowSource):
    """JSON Lines: one object per line; the row number is the line number, blank lines skipped."""

    def __init__(self, path: Path, chunk_rows: int) -> None:
        self._chunk_rows = chunk_rows
        self._size = path.stat().st_size
        self.total = self._size
        self._raw, stream = _open_raw(path)
        self._lines = io.TextIOWrapper(stream, encoding="utf-8")

    def position(self) -> int:
        """Bytes of the (possibly compressed) file read so far."""
        return self._size if self._raw.closed else int(self._raw.tell())

    def chunks(self) -> Iterator[list[Row]]:
        """Rows in chunks of at most ``chunk_rows``; a line that is not JSON is a row with an
        error (reason malformed_json)."""
        rows: list[Row] = []
        with self._lines:
            for number, line in enumerate(self._lines, start=1):
                if not line.strip():
                    continue
                rows.append(_json_row(number, line))
                if len(rows) >= self._chunk_rows:
                    yield rows
                    rows = []
        if rows:
            yield rows


def _json_row(number: int, line: str) -> Row:
    try:
        data = strict_json(line)
    except json.JSONDecodeError as exc:
        return Row(
            number,
            None,
            FieldError(None, "malformed_json", f"not JSON at column {exc.colno}: {exc.msg}"),
        )
    except NotJson as exc:
        return Row(number, None, FieldError(None, "malformed_json", str(exc)))
    return Row(number, data)
