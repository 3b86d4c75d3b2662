"""A dataset as a Parquet file: column types, rows in order, and the identity in the metadata."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from streamops.dataset import DatasetError, read_identity, write_parquet
from streamops.dataset.build import Dataset, dataset_columns
from streamops.dataset.identity import DatasetIdentity, TopicRange, content_hash
from streamops.dataset.join import LabelRules
from streamops.features import feature_set
from streamops.pipeline import load_pipeline
from tests.support.pipelines import FRAUD

T0 = 1_767_225_600_000


def small_dataset() -> Dataset:
    pipeline = load_pipeline(FRAUD)
    columns = dataset_columns(feature_set(pipeline).schema(), LabelRules.from_spec(pipeline.spec))
    names = tuple(c.name for c in columns)

    def row(n: int, label: float, label_time: int | None) -> tuple[object, ...]:
        base = {
            "event_id": f"tx-{n:016x}",
            "entity_key": "card-000001",
            "event_time": T0 + n,
            "source_topic": "fraud.events.valid",
            "source_partition": 0,
            "source_offset": n,
            "late": False,
            "label": label,
            "label_source": "labelled" if label_time else "negative_after_delay",
            "label_time": label_time,
            "channel": "web",  # passed through from the event
            "country": "FR",
            "merchant_category": None,
        }
        return tuple(
            base.get(name, 1 if name.startswith(("count", "distinct")) else 0.5) for name in names
        )

    rows = [row(1, 1.0, T0 + 50), row(2, 0.0, None)]
    identity = DatasetIdentity(
        pipeline="fraud",
        cutoff_ms=T0 + 100,
        features=TopicRange("fraud.features", {0: (0, 2)}, (1,), 2),
        labels=TopicRange("fraud.labels.valid", {0: (0, 1)}, (2,), 1),
        counts={"rows": 2},
        content_hash=content_hash(names, rows),
        columns=names,
    )
    return Dataset(identity, columns, rows)


def test_rows_types_and_identity_land_in_the_file(tmp_path: Path) -> None:
    dataset = small_dataset()
    out = tmp_path / "train.parquet"
    write_parquet(dataset, out)

    assert read_identity(out) == dataset.identity
    table = pq.read_table(out)
    assert table.column_names == [c.name for c in dataset.columns]
    assert str(table.schema.field("event_time").type) == "timestamp[ms, tz=UTC]"
    assert str(table.schema.field("count_10m").type) == "int64"
    assert str(table.schema.field("hour_of_day").type) == "int32"
    assert str(table.schema.field("label").type) == "double"
    rows = table.to_pylist()
    assert [r["event_id"] for r in rows] == ["tx-0000000000000001", "tx-0000000000000002"]
    assert rows[1]["label_time"] is None and rows[1]["label_source"] == "negative_after_delay"
    assert int(rows[0]["label_time"].timestamp() * 1000) == T0 + 50
    assert [p.name for p in tmp_path.iterdir()] == ["train.parquet"]  # no partial file left


def test_a_parquet_file_without_identity_is_not_a_dataset(tmp_path: Path) -> None:
    import pyarrow as pa

    other = tmp_path / "other.parquet"
    pq.write_table(pa.table({"x": [1]}), other)
    with pytest.raises(DatasetError, match="not a streamops dataset"):
        read_identity(other)
    (tmp_path / "junk.parquet").write_text("junk")
    with pytest.raises(DatasetError, match="cannot read"):
        read_identity(tmp_path / "junk.parquet")


def test_without_pyarrow_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamops.dataset.errors import MissingDependency

    monkeypatch.setitem(__import__("sys").modules, "pyarrow", None)
    with pytest.raises(MissingDependency, match=r"pip install 'streamops\[dataset\]'"):
        write_parquet(small_dataset(), tmp_path / "x.parquet")
