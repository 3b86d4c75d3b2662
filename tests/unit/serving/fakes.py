"""A model runtime double for the serving unit tests: a linear score of one input."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from streamops_serving.lineup import Deployed
from streamops_serving.runtime.base import ModelInput, ModelOutput, ModelRuntime, PredictError
from tests.unit.registry.records import version as version_record


class Linear(ModelRuntime):
    """P(positive) = clip(slope * x); the same numbers every call."""

    def __init__(self, slope: float = 0.1) -> None:
        self.task, self.slope = "BINARY_CLASSIFICATION", slope
        self.inputs, self.classes = (ModelInput("x", True),), ("0", "1")
        self.calls = 0

    def load(self, artifact: bytes) -> None:
        pass

    def predict(self, columns: Mapping[str, Sequence[Any]]) -> ModelOutput:
        self.calls += 1
        if "x" not in columns:
            raise PredictError("x: the model needs this input")
        p = np.clip(np.asarray(columns["x"], dtype=float) * self.slope, 0, 1)
        return ModelOutput(p, np.column_stack([1 - p, p]), self.classes)

    def unload(self) -> None:
        pass


def deployed(number: int, slope: float = 0.1, threshold: float = 0.5) -> Deployed:
    record = {**version_record(number, "m"), "decision_threshold": threshold}
    return Deployed(record, Linear(slope), 0.0)  # type: ignore[arg-type]
