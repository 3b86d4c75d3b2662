"""What a dataset is: where it was read, at which cut-off, what it holds, and its hash.

The identity travels in the Parquet file's key-value metadata (key ``streamops.dataset``,
JSON), so a training run can name the exact data it saw and anyone can rebuild it: the
same start and end offsets and cut-off read the same records and give the same content
hash (unless retention deleted some since, which the start offsets then show).

The content hash is sha256 over a canonical serialization of the rows, not over the
Parquet bytes (which depend on the writer's version and options): one JSON line with the
column names, then one compact JSON array per row in row order, times as epoch
milliseconds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from streamops.dataset.errors import DatasetError

#: The Parquet key-value metadata key holding the identity.
METADATA_KEY = "streamops.dataset"
#: Bumped when the identity's JSON or the canonical row serialization changes.
FORMAT_VERSION = 1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class TopicRange:
    """What was read of one topic: ``[start, end)`` per partition, and what was in it."""

    topic: str
    offsets: Mapping[int, tuple[int, int]]
    schema_ids: tuple[int, ...]
    records: int
    undecodable: int = 0

    def to_json(self) -> dict[str, Any]:
        """The JSON form; partitions become string keys, ranges two-item lists."""
        return {
            "topic": self.topic,
            "offsets": {str(p): [s, e] for p, (s, e) in sorted(self.offsets.items())},
            "schema_ids": list(self.schema_ids),
            "records": self.records,
            "undecodable": self.undecodable,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TopicRange:
        """Read back what `to_json` wrote."""
        return cls(
            topic=data["topic"],
            offsets={int(p): (int(r[0]), int(r[1])) for p, r in data["offsets"].items()},
            schema_ids=tuple(int(i) for i in data["schema_ids"]),
            records=int(data["records"]),
            undecodable=int(data.get("undecodable", 0)),
        )


@dataclass(frozen=True)
class DatasetIdentity:
    """Pipeline, cut-off, the ranges read (``features`` and ``labels``), counts, hash."""

    pipeline: str
    cutoff_ms: int
    features: TopicRange
    labels: TopicRange
    counts: Mapping[str, int | None]
    content_hash: str
    columns: tuple[str, ...] = field(default=())

    @property
    def cutoff_iso(self) -> str:
        """The cut-off as ISO-8601 UTC, to the millisecond."""
        return iso_utc(self.cutoff_ms)

    def end_offsets(self) -> dict[str, dict[int, int]]:
        """The end offset of every partition read, by topic: what rebuilds this dataset."""
        return {
            t.topic: {p: end for p, (_, end) in t.offsets.items()}
            for t in (self.features, self.labels)
        }

    def start_offsets(self) -> dict[str, dict[int, int]]:
        """The start offset of every partition read, by topic (with `end_offsets`: the
        ranges that rebuild this dataset when it did not start at the first offsets)."""
        return {
            t.topic: {p: start for p, (start, _) in t.offsets.items()}
            for t in (self.features, self.labels)
        }

    def to_json(self) -> dict[str, Any]:
        """The JSON object stored in the Parquet metadata."""
        return {
            "format": FORMAT_VERSION,
            "pipeline": self.pipeline,
            "cutoff_ms": self.cutoff_ms,
            "cutoff": self.cutoff_iso,
            "topics": {"features": self.features.to_json(), "labels": self.labels.to_json()},
            "counts": dict(self.counts),
            "columns": list(self.columns),
            "content_hash": self.content_hash,
        }

    def dumps(self) -> str:
        """`to_json` as text, keys in a stable order."""
        return json.dumps(self.to_json(), indent=2)

    @classmethod
    def loads(cls, text: str | bytes) -> DatasetIdentity:
        """Read an identity from its JSON text; DatasetError if it is not one."""
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT_VERSION:
                raise DatasetError(
                    f"dataset identity format {data.get('format')!r} is not "
                    f"{FORMAT_VERSION}, the one this streamops reads"
                )
            return cls(
                pipeline=data["pipeline"],
                cutoff_ms=int(data["cutoff_ms"]),
                features=TopicRange.from_json(data["topics"]["features"]),
                labels=TopicRange.from_json(data["topics"]["labels"]),
                counts=dict(data["counts"]),
                content_hash=data["content_hash"],
                columns=tuple(data.get("columns", ())),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DatasetError(f"not a streamops dataset identity: {exc!r}") from exc


def content_hash(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """``sha256:<hex>`` of the canonical serialization of the rows (see the module doc).

    Values must be JSON scalars (str, int, float, bool, None): times as epoch ms.
    """
    digest = hashlib.sha256()
    digest.update(_canonical(list(columns)))
    for row in rows:
        digest.update(_canonical(list(row)))
    return f"sha256:{digest.hexdigest()}"


def _canonical(values: list[Any]) -> bytes:
    # json writes floats with repr (shortest round-trip), so equal values give equal text
    text = json.dumps(values, separators=(",", ":"), ensure_ascii=False, allow_nan=True)
    return text.encode("utf-8") + b"\n"


def iso_utc(ms: int) -> str:
    """Epoch milliseconds as ISO-8601 in UTC, e.g. 2026-01-05T10:00:00.000Z."""
    moment = EPOCH + timedelta(milliseconds=ms)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
