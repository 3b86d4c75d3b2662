"""A dataset as model inputs: features by Avro type, ONNX-ready values, typed labels."""

from __future__ import annotations

import numpy as np
import pytest

from streamops.dataset import Dataset
from streamops.dataset.build import Column
from streamops.pipeline import Pipeline
from streamops_training.frame import FrameError, column_kind, to_frame
from tests.unit.training.synthetic import fraud_like

_META = [
    Column("event_id", "string"),
    Column("entity_key", "string"),
    Column("event_time", {"type": "long", "logicalType": "timestamp-millis"}),
    Column("source_topic", "string"),
    Column("source_partition", "int"),
    Column("source_offset", "long"),
    Column("late", "boolean"),
]
_LABELS = [
    Column("label", "double"),
    Column("label_source", "string"),
    Column("label_time", ["null", {"type": "long", "logicalType": "timestamp-millis"}]),
]


def _dataset(features: list[Column], *values: tuple[object, ...], label: object = 1.0) -> Dataset:
    rows = [
        (f"e{i}", "k", 1000 + i, "t", 0, i, False, *v, label, "labelled", None)
        for i, v in enumerate(values)
    ]
    return Dataset(None, (*_META, *features, *_LABELS), rows)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("avro_type", "kind"),
    [
        ("long", "numeric"),
        (["null", "double"], "numeric"),
        ("boolean", "numeric"),
        (["null", "string"], "categorical"),
        ({"type": "enum", "name": "C", "symbols": ["a"]}, "categorical"),
        ({"type": "long", "logicalType": "timestamp-millis"}, None),
        ({"type": "array", "items": "double"}, None),
        (["null", "string", "double"], None),
    ],
)
def test_a_column_is_numeric_or_categorical_by_its_avro_type(avro_type: object, kind: str) -> None:
    assert column_kind(avro_type) == kind


def test_values_are_what_the_onnx_graph_sees() -> None:
    dataset = _dataset(
        [Column("amount", ["null", "double"]), Column("channel", ["null", "string"])],
        (0.1, "web"),
        (None, None),
    )
    frame = to_frame(dataset, "binary")
    assert frame.numeric == ("amount",) and frame.categorical == ("channel",)
    amount = frame.data["amount"].to_numpy()
    assert amount.dtype == np.float32
    assert amount[0] == np.float32(0.1) and np.isnan(amount[1])
    assert frame.data["channel"].tolist() == ["web", ""]
    assert frame.data["label"].dtype == np.int64 and frame.data["label"].tolist() == [1, 1]


def test_labels_are_typed_for_the_task() -> None:
    dataset = _dataset([Column("x", "double")], (1.0,), label="gold")
    assert to_frame(dataset, "multiclass").data["label"].tolist() == ["gold"]
    regression = _dataset([Column("x", "double")], (1.0,), label=2.5)
    assert to_frame(regression, "regression").data["label"].tolist() == [2.5]


def test_the_join_key_and_unreadable_columns_are_not_features() -> None:
    dataset = _dataset([Column("order_id", ["null", "string"]), Column("x", "double")], ("o", 1.0))
    assert to_frame(dataset, "binary", join_field="order_id").features == ("x",)
    bad = _dataset([Column("tags", {"type": "array", "items": "string"})], (["a"],))
    with pytest.raises(FrameError, match="column tags"):
        to_frame(bad, "binary")


def test_selecting_a_feature_the_dataset_lacks_names_it(fraud: Pipeline) -> None:
    frame = to_frame(fraud_like(fraud, 200), "binary")
    assert frame.select(["count_10m", "channel"]).features == ("count_10m", "channel")
    with pytest.raises(FrameError, match="no feature colour"):
        frame.select(["count_10m", "colour"])
