"""The model runtime interface: load an artifact, predict on columns, unload.

As MLServer's ``MLModel``, one object per loaded model version; the scoring core knows
only this interface, so another runtime (a different artifact format) is one more class.
Calls are synchronous: a prediction takes microseconds, less than a hop to a thread pool.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Task = Literal["BINARY_CLASSIFICATION", "MULTICLASS_CLASSIFICATION", "REGRESSION"]


class ModelLoadError(Exception):
    """An artifact that cannot be served (not a model, inputs or outputs not understood)."""


class PredictError(ValueError):
    """Inputs the model cannot take (a missing column, a value of the wrong kind)."""


@dataclass(frozen=True)
class ModelInput:
    """One input the model takes: a column, numeric (float, NaN for null) or text."""

    name: str
    numeric: bool


@dataclass(frozen=True)
class ModelOutput:
    """A model's answer for N rows.

    ``values``: the regression value, or the positive class's probability of a binary
    classifier; None for multiclass. ``probabilities``: ``[N, classes]`` in ``classes``
    order for classifiers, None for regressors.
    """

    values: np.ndarray | None
    probabilities: np.ndarray | None
    classes: tuple[str, ...]


class ModelRuntime(ABC):
    """One loaded model version."""

    task: Task
    inputs: tuple[ModelInput, ...]
    classes: tuple[str, ...]

    @abstractmethod
    def load(self, artifact: bytes) -> None:
        """Make the model ready to predict; `ModelLoadError` when it cannot be served."""

    @abstractmethod
    def predict(self, columns: Mapping[str, Sequence[Any]]) -> ModelOutput:
        """The model's answer for the rows given as columns by input name (all of one
        length); `PredictError` when a column is missing or cannot be converted."""

    @abstractmethod
    def unload(self) -> None:
        """Free what `load` took; the object is not used again."""
