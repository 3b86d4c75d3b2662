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

_NUMERIC = {"tensor(float)": np.float32, "tensor(double)": np.float64}
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
        self._dtypes: dict[str, Any] = {}
        self._outputs: list[str] = []
        self._local = threading.local()

    def load(self, artifact: bytes) -> None:
        try:
            graph = onnx.load_from_string(artifact).graph
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            session = ort.InferenceSession(artifact, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnx and onnxruntime raise their own, unrelated types
            raise ModelLoadError(f"{self.name}: not a loadable ONNX model: {exc}") from exc
        inputs = []
        for i in session.get_inputs():
            if i.type not in _NUMERIC and i.type != "tensor(string)":
                raise ModelLoadError(f"{self.name}: input {i.name} has type {i.type}")
            self._dtypes[i.name] = _NUMERIC.get(i.type, object)
            inputs.append(ModelInput(i.name, i.type in _NUMERIC))
        outputs = {o.name for o in session.get_outputs()}
        wanted = ["variable"] if self.task == "REGRESSION" else ["probabilities"]
        if not set(wanted) <= outputs:
            raise ModelLoadError(
                f"{self.name}: a {self.task.lower()} graph needs output {wanted[0]!r}; it has "
                f"{sorted(outputs)}"
            )
        self.inputs, self._outputs, self._session = tuple(inputs), wanted, session
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
            raise PredictError(_not_finite(feeds))
        if self.task == "REGRESSION":
            return ModelOutput(result.reshape(-1).astype(np.float64), None, ())
        probabilities = result.astype(np.float64)
        values = probabilities[:, 1] if self.task == "BINARY_CLASSIFICATION" else None
        return ModelOutput(values, probabilities, self.classes)

    def unload(self) -> None:
        self._session = None

    def _feeds(self, columns: Mapping[str, Sequence[Any]]) -> dict[str, np.ndarray]:
        feeds = {}
        for name, dtype in self._dtypes.items():
            column = columns.get(name)
            if column is None:
                raise PredictError(f"{name}: the model needs this input")
            feeds[name] = _tensor(name, column, dtype)
        return feeds

    def _one_row(self, columns: Mapping[str, Sequence[Any]]) -> dict[str, np.ndarray]:
        """The feeds of one row, written into ``[1, 1]`` arrays kept per thread: a request's
        34 new arrays cost more than the forest (the session reads them only during run)."""
        feeds: dict[str, np.ndarray] | None = getattr(self._local, "feeds", None)
        if feeds is None:
            feeds = self._local.feeds = {n: np.empty((1, 1), d) for n, d in self._dtypes.items()}
        for name, dtype in self._dtypes.items():
            column = columns.get(name)
            if column is None:
                raise PredictError(f"{name}: the model needs this input")
            value = column[0]
            if dtype is object:
                feeds[name][0, 0] = MISSING_CATEGORY if value is None else str(value)
                continue
            try:
                feeds[name][0, 0] = np.nan if value is None else value
            except (TypeError, ValueError) as exc:
                raise PredictError(f"{name}: expected a number, got {value!r}") from exc
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


def _not_finite(feeds: Mapping[str, np.ndarray]) -> str:
    """Why a model gave NaN or infinity: the inputs beyond float32's range, if any."""
    beyond = [
        f"{name}: {float(array[np.isinf(array)][0])!r}"
        for name, array in feeds.items()
        if array.dtype.kind == "f" and np.isinf(array).any()
    ]
    if beyond:
        return "beyond the range the model takes (float32): " + ", ".join(beyond)
    return "the model gave no finite answer for these inputs"


def _class_labels(graph: onnx.GraphProto) -> tuple[str, ...]:
    """The class names a classifier node of the graph declares, in its output order."""
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.name in _CLASS_ATTRIBUTES:
                value = onnx.helper.get_attribute_value(attribute)
                return tuple(v.decode() if isinstance(v, bytes) else str(v) for v in value)
    return ()
