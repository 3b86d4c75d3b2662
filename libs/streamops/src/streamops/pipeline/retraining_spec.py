"""The spec's ``retraining:`` section: when the training service starts a job, who
approves its result, the probation of a new champion, and what becomes of an alert whose
retrain was not promoted. ``streamops.pipeline.checks`` checks it with the rest
(`check_model` says that it needs a ``model:`` section).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from streamops.pipeline.durations import Duration

AlertKind = Literal[
    "DATA_QUALITY", "DATA_DRIFT", "PREDICTION_DRIFT", "CONCEPT_DRIFT", "MODEL_PERFORMANCE"
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ProbationSpec(_Strict):
    """A new champion against the one it replaced, on the first labels after its promotion."""

    min_labels: int = Field(
        1000, ge=50, description="Rows labelled after the promotion before it is judged."
    )
    confidence: float = Field(
        0.95, gt=0.5, lt=1.0, description="How sure the replaced one must be better to roll back."
    )


class RetrainingSpec(_Strict):
    """When the training service starts a job, and who approves its result."""

    min_labels: int = Field(1000, ge=1, description="First model once this many labels are known.")
    every_labels: int | None = Field(None, ge=1, description="Again after this many new labels.")
    schedule: Duration | None = Field(None, description="Again after this much event time.")
    on_alert: list[AlertKind] = Field(default_factory=list, description="Alert kinds that retrain.")
    cooldown: Duration = Field(timedelta(minutes=30), description="Least time between two jobs.")
    approval: Literal["auto", "manual"] = Field("auto", description="manual: wait for a person.")
    probation: ProbationSpec | None = Field(
        default_factory=ProbationSpec,
        description="Roll a new champion back if the one it replaced does better on the first "
        "labels after the promotion; null: never.",
    )
    not_promoted: Literal["acknowledge", "keep_open", "refresh_reference"] = Field(
        "acknowledge",
        description="An alert whose retrain was not promoted (the champion handles it): "
        "acknowledge it (ACKNOWLEDGED on the alerts topic); keep_open it; or "
        "refresh_reference: a DATA_DRIFT or PREDICTION_DRIFT alert makes the champion's "
        "reference the traffic of now (a REFRESH deployment event; monitoring resolves the "
        "alert once the traffic matches it), other kinds are acknowledged. Either way no "
        "job starts for it again unless monitoring emits it OPEN again as it grows (more "
        "features drifted, the metric a whole max_drop further down).",
    )

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and value <= timedelta(0):
            raise ValueError("a schedule must be longer than zero (or null)")
        return value

    @field_validator("cooldown")
    @classmethod
    def _cooldown(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("a cooldown cannot be negative")
        return value
