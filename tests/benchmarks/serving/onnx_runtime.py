"""A minimal MLServer runtime on an ONNX Runtime session: MLServer's own overhead.

Copied next to a model's ``model-settings.json`` and loaded by MLServer in its own venv
(``implementation: onnx_runtime.OnnxModel``), so it imports nothing of streamops. Each
V2 input is fed as the graph's input of the same name, ``[N, 1]``, float32 or string;
the answer is the graph's ``probabilities``. One intra- and one inter-op thread, as
serving's session (`streamops_training.export.session`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnxruntime as ort
from mlserver import MLModel  # type: ignore[import-not-found]
from mlserver.codecs import NumpyCodec  # type: ignore[import-not-found]
from mlserver.types import InferenceRequest, InferenceResponse, RequestInput  # type: ignore[import-not-found]
from mlserver.utils import get_model_uri  # type: ignore[import-not-found]


class OnnxModel(MLModel):  # type: ignore[misc]
    """Scores V2 requests with the model's ONNX graph."""

    async def load(self) -> bool:
        """Open the session on the model's ``uri`` (the ONNX file)."""
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        path = await get_model_uri(self.settings)
        self._session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self._strings = {i.name for i in self._session.get_inputs() if i.type == "tensor(string)"}
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        """P(class) of each row: the graph's ``probabilities``."""
        feeds = {i.name: self._tensor(i) for i in payload.inputs}
        (probabilities,) = self._session.run(["probabilities"], feeds)
        return InferenceResponse(
            model_name=self.name,
            model_version=self.version,
            outputs=[NumpyCodec.encode_output("probabilities", probabilities)],
        )

    def _tensor(self, request_input: RequestInput) -> np.ndarray[Any, Any]:
        values = request_input.data.root
        if request_input.name in self._strings:
            text = [v.decode() if isinstance(v, bytes) else str(v) for v in values]
            return np.array(text, dtype=object).reshape(-1, 1)
        return np.asarray(values, dtype=np.float32).reshape(-1, 1)
