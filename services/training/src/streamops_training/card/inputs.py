"""What a model card is rendered from: one model version, its gates and its holdout.

The training service fills a `CardInputs` from the registry (the ModelVersion and the
Deployment's gates) and from the holdout rebuilt for that version; rendering reads
nothing else, so a card can be rebuilt at any time from the log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import pandas as pd

Task = Literal["BINARY_CLASSIFICATION", "MULTICLASS_CLASSIFICATION", "REGRESSION"]
TASKS: tuple[Task, ...] = ("BINARY_CLASSIFICATION", "MULTICLASS_CLASSIFICATION", "REGRESSION")

#: Where the predictions are in the holdout, by task (multiclass: the predicted class).
PREDICTION_COLUMN: Mapping[Task, str] = {
    "BINARY_CLASSIFICATION": "score",
    "MULTICLASS_CLASSIFICATION": "predicted",
    "REGRESSION": "score",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class CardInputError(ValueError):
    """The inputs cannot describe a model (an unknown task, a holdout without labels)."""


@dataclass(frozen=True)
class TrainingWindow:
    """The event-time window a version was trained on and its row counts."""

    start: int
    """Event time of the oldest record used, ms since the epoch, inclusive."""
    end: int
    """Event time after the newest record used, ms, exclusive."""
    train_count: int
    holdout_count: int


@dataclass(frozen=True)
class OffsetRange:
    """A contiguous range of offsets read from one topic partition (end exclusive)."""

    topic: str
    partition: int
    start: int
    end: int


@dataclass(frozen=True)
class DatasetIdentity:
    """Which data the version was trained on: content hash, cut-off and offsets."""

    content_hash: str
    """Hex SHA-256 of the training set's content; empty when not recorded."""
    cutoff: int
    """The point in time of the dataset, ms since the epoch."""
    offsets: tuple[OffsetRange, ...] = ()
    schema_ids: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    """The registry schema ids of the records read, by topic."""


@dataclass(frozen=True)
class GateVerdict:
    """One promotion gate's result, as the Deployment record keeps it."""

    gate: str
    passed: bool
    value: float | None = None
    threshold: float | None = None
    detail: str | None = None


@dataclass(frozen=True)
class ChampionComparison:
    """The candidate against the champion on the same holdout (the paired bootstrap)."""

    champion_version: int
    metric: str
    champion_value: float
    candidate_value: float
    confidence: float
    """Share of bootstrap resamples in which the candidate beat the champion's metric."""


@dataclass(frozen=True, eq=False)
class CardInputs:
    """Everything one model version's card shows (eq=False: it holds a DataFrame)."""

    pipeline: str
    model_name: str
    version: int
    created_at: int
    """When training finished this version, ms since the epoch."""
    task: Task
    algorithm: str
    framework: str
    onnx_sha256: str
    feature_names: tuple[str, ...]
    metrics: Mapping[str, float]
    """By ``split.metric`` name, e.g. ``holdout.pr_auc``."""
    window: TrainingWindow
    dataset: DatasetIdentity
    gates: tuple[GateVerdict, ...]
    outcome: str
    """One sentence, e.g. "promoted to champion" or "rejected: parity"."""
    holdout: pd.DataFrame
    """``label``, the predictions (`PREDICTION_COLUMN`; multiclass also ``proba_<class>``)
    and the slice columns; one row per labelled holdout event."""
    params: Mapping[str, Any] = field(default_factory=dict)
    decision_threshold: float | None = None
    threshold_rule: str | None = None
    """How the threshold was chosen, e.g. "max F1 on the validation split"."""
    parent_version: int | None = None
    run_id: str | None = None
    intended_use: str = ""
    slices: tuple[str, ...] = ()
    importance: Mapping[str, float] | None = None
    """Permutation importance by feature; the card shows the top 20."""
    champion: ChampionComparison | None = None
    label_delay: timedelta | None = None
    """The spec's expected label delay, for the caveats."""

    @property
    def file_stem(self) -> str:
        """``{model_name}-v{version}``, with characters unsafe in a file name as ``_``."""
        return _UNSAFE.sub("_", f"{self.model_name}-v{self.version}")

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise CardInputError(f"task {self.task!r} is not one of {', '.join(TASKS)}")
        needed = {"label", PREDICTION_COLUMN[self.task]}
        missing = sorted(needed - set(self.holdout.columns))
        if missing:
            raise CardInputError(
                f"the holdout of {self.task} needs the column(s) {', '.join(missing)}"
            )
        if self.task == "BINARY_CLASSIFICATION":
            labels = self.holdout["label"].dropna()
            if not labels.isin([0, 1]).all():
                raise CardInputError("a binary holdout's labels must be 0 or 1")

    @property
    def threshold(self) -> float:
        """The binary operating point: the decision threshold, 0.5 when there is none."""
        return 0.5 if self.decision_threshold is None else self.decision_threshold
