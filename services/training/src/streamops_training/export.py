"""ONNX export of a fitted pipeline, preprocessing inside the graph, and running it.

The graph takes one input per feature, named as the feature, shape ``[N, 1]``: ``float``
for numeric features (NaN for null), ``string`` for categorical ones (the empty string
for null). Per-feature inputs rather than one float matrix keep the contract readable
(serving feeds a column by name, mixed types need no packing) and let a model read any
subset of the features. Classifiers return ``label`` (int64, or string class names) and
``probabilities`` ``[N, classes]`` in the classes' sorted order, with no ZipMap;
regressors return ``variable`` ``[N, 1]``.

The bytes are reproducible: opsets are pinned and listed in a fixed order, and the graph
is named after the model (skl2onnx would draw a random name and list the opsets in set
order, which changes with PYTHONHASHSEED).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import skl2onnx.common.tree_ensemble as tree_ensemble
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.pipeline import Pipeline

from streamops_training.frame import MISSING_CATEGORY

OPSETS = {"": 17, "ai.onnx.ml": 3}
_DTYPES = {"tensor(float)": np.float32, "tensor(string)": object, "tensor(double)": np.float64}


def _int_missing_flags() -> None:
    """skl2onnx 1.20 writes a leaf's missing-value flag as a Python bool, which onnx 1.23
    refuses in an ints attribute (histogram gradient boosting cannot export at all); the
    flag is meant as 0/1, so it is given as an int."""
    add_node = tree_ensemble.add_node
    if getattr(add_node, "_streamops_int_flags", False):
        return

    def add_node_int_flags(*args: Any, **kwargs: Any) -> Any:
        flag = kwargs.get("nodes_missing_value_tracks_true", 0)
        kwargs["nodes_missing_value_tracks_true"] = int(flag)
        return add_node(*args, **kwargs)

    add_node_int_flags._streamops_int_flags = True  # type: ignore[attr-defined]
    tree_ensemble.add_node = add_node_int_flags


def to_onnx(
    pipeline: Pipeline, numeric: tuple[str, ...], categorical: tuple[str, ...], name: str
) -> bytes:
    """The serialized ONNX model of a fitted pipeline, inputs in ``numeric + categorical``
    order; the same pipeline gives the same bytes."""
    _int_missing_flags()
    inputs = [(n, FloatTensorType([None, 1])) for n in numeric]
    inputs += [(n, StringTensorType([None, 1])) for n in categorical]
    model = pipeline.steps[-1][1]
    options = {id(model): {"zipmap": False}} if hasattr(model, "predict_proba") else None
    proto = convert_sklearn(
        pipeline, name=name, initial_types=inputs, options=options, target_opset=OPSETS
    )
    # skl2onnx lists the opsets in set order, which PYTHONHASHSEED changes: sort them
    opsets = sorted((o.domain, o.version) for o in proto.opset_import)
    del proto.opset_import[:]
    proto.opset_import.extend(onnx.helper.make_opsetid(d, v) for d, v in opsets)
    data: bytes = proto.SerializeToString(deterministic=True)
    return data


def sha256(data: bytes) -> str:
    """Hex SHA-256 of the model bytes, as ModelVersion.onnx_sha256."""
    return hashlib.sha256(data).hexdigest()


def signature(data: bytes) -> dict[str, list[dict[str, Any]]]:
    """ModelVersion.signature: each input and output's name, ONNX dtype and shape (-1:
    dynamic)."""
    graph = onnx.load_from_string(data).graph

    def spec(value: onnx.ValueInfoProto) -> dict[str, Any]:
        tensor = value.type.tensor_type
        dtype = onnx.TensorProto.DataType.Name(tensor.elem_type).lower()
        shape = [d.dim_value if d.HasField("dim_value") else -1 for d in tensor.shape.dim]
        return {"name": value.name, "dtype": dtype, "shape": shape}

    return {"inputs": [spec(v) for v in graph.input], "outputs": [spec(v) for v in graph.output]}


def session(data: bytes) -> ort.InferenceSession:
    """An ONNX Runtime session on the CPU, one thread (scores do not depend on threads)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def feeds(sess: ort.InferenceSession, data: pd.DataFrame) -> dict[str, np.ndarray]:
    """The session's inputs from the frame's columns of the same names (KeyError if absent)."""
    out = {}
    for i in sess.get_inputs():
        column = data[i.name].to_numpy()
        if _DTYPES.get(i.type) is object:
            values = np.array(
                [MISSING_CATEGORY if v is None else str(v) for v in column], dtype=object
            )
        else:
            values = column.astype(_DTYPES.get(i.type, np.float32))
        out[i.name] = values.reshape(-1, 1)
    return out


def run(sess: ort.InferenceSession, data: pd.DataFrame) -> Mapping[str, np.ndarray]:
    """The model's outputs on the frame, by output name."""
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds(sess, data)), strict=True))
