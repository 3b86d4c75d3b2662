"""ONNX Runtime implementation of the model runtime, for the graphs training exports.

Training's graphs take one input per feature, shape ``[N, 1]``: ``float`` for numeric
features (NaN for null) and ``string`` for categorical ones (the empty string for null);
classifiers return ``label`` and ``probabilities`` (``[N, classes]``, sorted class order,
no ZipMap), regressors ``variable``. One intra- and one inter-op thread: a row takes
microseconds, and the server's cores are the request handlers'.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort

from streamops_serving.runtime.base import (
    ModelInput,
    ModelLoadError,
    ModelOutput,
    ModelRuntime,
    PredictError,
    Task,
)

_ELEMENT_DTYPES = {
    onnx.TensorProto.FLOAT: np.float32,
    onnx.TensorProto.DOUBLE: np.float64,
    onnx.TensorProto.STRING: object,
}
#: The input the float features are fed through, packed into one matrix (`_pack`).
PACKED = "streamops.packed_floats"
_CLASS_ATTRIBUTES = ("classlabels_int64s", "classlabels_ints", "classlabels_strings")
#: What training writes for a missing category (streamops_training.frame.MISSING_CATEGORY).
MISSING_CATEGORY = ""
#: Rows scored before a loaded version takes traffic: the first runs allocate and are slow.
WARM_UP_RUNS = 20


class OnnxRuntime(ModelRuntime):
    """A model version on an ONNX Runtime CPU session."""

    def __init__(self, task: Task, name: str = "model") -> None:
        self.task = task
        self.name = name
        self.inputs: tuple[ModelInput, ...] = ()
        self.classes: tuple[str, ...] = ()
        self._session: ort.InferenceSession | None = None
        #: the inputs fed one by one, and their dtypes
        self._dtypes: dict[str, Any] = {}
        #: the float inputs fed together as one `PACKED` matrix, in its column order
        self._packed: list[str] = []
        self._outputs: list[str] = []
        self._local = threading.local()

    def load(self, artifact: bytes) -> None:
        try:
            model = onnx.load_from_string(artifact)
        except Exception as exc:  # onnx raises its own, unrelated types
            raise ModelLoadError(f"{self.name}: not a loadable ONNX model: {exc}") from exc
        graph = model.graph
        initialized = {i.name for i in graph.initializer}
        inputs, dtypes = [], {}
        for i in graph.input:
            if i.name in initialized:  # an initializer listed as an input (old IR): no feed
                continue
            elem = i.type.tensor_type.elem_type
            if elem not in _ELEMENT_DTYPES:
                raise ModelLoadError(
                    f"{self.name}: input {i.name} has type {onnx.TensorProto.DataType.Name(elem)}"
                    " (float, double or string expected)"
                )
            dtypes[i.name] = _ELEMENT_DTYPES[elem]
            inputs.append(ModelInput(i.name, dtypes[i.name] is not object))
        packed = [
            i.name
            for i in graph.input
            if i.name in dtypes and dtypes[i.name] is np.float32 and _one_column(i)
        ]
        if len(packed) < 2 or not _opset(model):  # (no Split without the default opset)
            packed = []
        try:
            session = _session(_pack(model, packed) if packed else artifact)
        except Exception as exc:  # onnxruntime raises its own, unrelated types
            raise ModelLoadError(f"{self.name}: not a loadable ONNX model: {exc}") from exc
        outputs = {o.name for o in session.get_outputs()}
        wanted = ["variable"] if self.task == "REGRESSION" else ["probabilities"]
        if not set(wanted) <= outputs:
            raise ModelLoadError(
                f"{self.name}: a {self.task.lower()} graph needs output {wanted[0]!r}; it has "
                f"{sorted(outputs)}"
            )
        self.inputs, self._outputs, self._session = tuple(inputs), wanted, session
        self._packed = packed
        self._dtypes = {n: d for n, d in dtypes.items() if n not in set(packed)}
        if self.task != "REGRESSION":
            self.classes = _class_labels(graph)
            if not self.classes:
                raise ModelLoadError(f"{self.name}: the classifier's graph names no classes")
            if self.task == "BINARY_CLASSIFICATION" and len(self.classes) != 2:
                raise ModelLoadError(f"{self.name}: binary, but classes {self.classes}")
        self._warm_up()

    def predict(self, columns: Mapping[str, Sequence[Any]]) -> ModelOutput:
        if self._session is None:
            raise PredictError(f"{self.name} is not loaded")
        rows = len(next(iter(columns.values()))) if columns else 0
        feeds = self._one_row(columns) if rows == 1 else self._feeds(columns)
        (result,) = self._session.run(self._outputs, feeds)
        if not np.isfinite(result).all():
            raise PredictError(_not_finite(feeds, self._packed))
        if self.task == "REGRESSION":
            return ModelOutput(result.reshape(-1).astype(np.float64), None, ())
        probabilities = result.astype(np.float64)
        values = probabilities[:, 1] if self.task == "BINARY_CLASSIFICATION" else None
        return ModelOutput(values, probabilities, self.classes)

    def unload(self) -> None:
        self._session = None

    def _feeds(self, columns: Mapping[str, Sequence[Any]]) -> dict[str, np.ndarray]:
        feeds = {}
        if self._packed:
            packed = [_column(columns, name) for name in self._packed]
            try:
                # numpy reads None as NaN into a float array, in C; rows come out as columns
                matrix = np.array(packed, dtype=np.float32)
            except (TypeError, ValueError):
                for name, column in zip(self._packed, packed, strict=True):
                    _tensor(name, column, np.float32)  # raises, naming the input
                raise PredictError("the float inputs are not columns of one length") from None
            feeds[PACKED] = np.ascontiguousarray(matrix.T)
        for name, dtype in self._dtypes.items():
            feeds[name] = _tensor(name, _column(columns, name), dtype)
        return feeds

    def _one_row(self, columns: Mapping[str, Sequence[Any]]) -> dict[str, np.ndarray]:
        """The feeds of one row, written into arrays kept per thread: a request's new
        arrays cost more than the forest (the session reads them only during run)."""
        feeds: dict[str, np.ndarray] | None = getattr(self._local, "feeds", None)
        if feeds is None:
            feeds = {n: np.empty((1, 1), d) for n, d in self._dtypes.items()}
            if self._packed:
                feeds[PACKED] = np.empty((1, len(self._packed)), np.float32)
            self._local.feeds = feeds
        try:
            if self._packed:
                values = [columns[name][0] for name in self._packed]
                try:  # the whole row in one assignment, converted in C
                    feeds[PACKED][0] = [np.nan if v is None else v for v in values]
                except (TypeError, ValueError):
                    _name_the_bad_number(self._packed, values)
                    raise
            for name, dtype in self._dtypes.items():
                value = columns[name][0]
                if dtype is object:
                    feeds[name][0, 0] = MISSING_CATEGORY if value is None else str(value)
                    continue
                try:
                    feeds[name][0, 0] = np.nan if value is None else value
                except (TypeError, ValueError) as exc:
                    raise PredictError(f"{name}: expected a number, got {value!r}") from exc
        except KeyError as missing:
            raise PredictError(f"{missing.args[0]}: the model needs this input") from None
        return feeds

    def _warm_up(self) -> None:
        row = {i.name: [None if i.numeric else MISSING_CATEGORY] for i in self.inputs}
        for _ in range(WARM_UP_RUNS):
            self.predict(row)


def _tensor(name: str, column: Sequence[Any], dtype: Any) -> np.ndarray:
    """One input's ``[N, 1]`` tensor from a column of Python values."""
    if dtype is object:
        values = [MISSING_CATEGORY if v is None else str(v) for v in column]
        return np.array(values, dtype=object).reshape(-1, 1)
    try:
        # numpy reads None as NaN into a float array, in C
        return np.array(column, dtype=dtype).reshape(-1, 1)
    except (TypeError, ValueError) as exc:
        raise PredictError(f"{name}: expected numbers, got {list(column)[:3]!r}") from exc


def _not_finite(feeds: Mapping[str, np.ndarray], packed: Sequence[str]) -> str:
    """Why a model gave NaN or infinity: the inputs beyond float32's range, if any."""
    arrays = [(n, a) for n, a in feeds.items() if n != PACKED]
    if packed:
        arrays += [(n, feeds[PACKED][:, j]) for j, n in enumerate(packed)]
    beyond = [
        f"{name}: {float(array[np.isinf(array)][0])!r}"
        for name, array in arrays
        if array.dtype.kind == "f" and np.isinf(array).any()
    ]
    if beyond:
        return "beyond the range the model takes (float32): " + ", ".join(beyond)
    return "the model gave no finite answer for these inputs"


def _name_the_bad_number(names: Sequence[str], values: Sequence[Any]) -> None:
    """Raise `PredictError` naming the first of ``values`` a float array refuses."""
    probe = np.empty(1, np.float32)
    for name, value in zip(names, values, strict=True):
        try:
            probe[0] = np.nan if value is None else value
        except (TypeError, ValueError) as exc:
            raise PredictError(f"{name}: expected a number, got {value!r}") from exc


def _column(columns: Mapping[str, Sequence[Any]], name: str) -> Sequence[Any]:
    column = columns.get(name)
    if column is None:
        raise PredictError(f"{name}: the model needs this input")
    return column


def _session(model: bytes) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def _one_column(graph_input: onnx.ValueInfoProto) -> bool:
    """Whether an input's shape is ``[N, 1]`` (training's are)."""
    dims = graph_input.type.tensor_type.shape.dim
    return len(dims) == 2 and dims[1].HasField("dim_value") and dims[1].dim_value == 1


def _pack(model: onnx.ModelProto, names: list[str]) -> bytes:
    """``model`` with its ``[N, 1]`` float inputs ``names`` replaced by one ``[N, k]``
    input, `PACKED`, that a Split node parts into them again (the same values: the rest
    of the graph is untouched). ONNX Runtime checks and converts each input of each run:
    a forest's row fed as 34 inputs ran in 52 us here, as 1 + 3 in 28."""
    packed = onnx.ModelProto()
    packed.CopyFrom(model)
    graph = packed.graph
    kept = [i for i in graph.input if i.name not in set(names)]
    first = next(i for i in graph.input if i.name == names[0]).type.tensor_type.shape.dim[0]
    rows = first.dim_value if first.HasField("dim_value") else (first.dim_param or None)
    del graph.input[:]
    matrix = onnx.helper.make_tensor_value_info(PACKED, onnx.TensorProto.FLOAT, [rows, len(names)])
    graph.input.extend([matrix, *kept])
    split = onnx.helper.make_node("Split", [PACKED], names, axis=1)
    if _opset(packed) >= 18:  # without sizes Split parts the axis equally among its outputs;
        # from opset 18 it wants their number as an attribute too
        split.attribute.append(onnx.helper.make_attribute("num_outputs", len(names)))
    graph.node.insert(0, split)
    data: bytes = packed.SerializeToString()
    return data


def _opset(model: onnx.ModelProto) -> int:
    """The model's version of the default (ai.onnx) operator set; 0 if it imports none."""
    versions = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")]
    return max(versions, default=0)


def _class_labels(graph: onnx.GraphProto) -> tuple[str, ...]:
    """The class names a classifier node of the graph declares, in its output order."""
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.name in _CLASS_ATTRIBUTES:
                value = onnx.helper.get_attribute_value(attribute)
                return tuple(v.decode() if isinstance(v, bytes) else str(v) for v in value)
    return ()
