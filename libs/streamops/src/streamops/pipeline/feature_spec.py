"""The spec's ``features:`` section: windows, aggregates, per-event values, passthrough.

What each feature means is the features service's contract (services/features/README.md);
`streamops.features.definition` compiles this section into names and an output schema.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from streamops.pipeline.durations import Duration

#: Aggregates over a window of one numeric field, and over one field of any type.
NUMERIC_AGGREGATES = ("sum", "mean", "std", "min", "max", "ratio_to_mean")
ANY_AGGREGATES = ("distinct",)
EventFeature = Literal["seconds_since_previous", "hour_of_day", "day_of_week"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Aggregate(_Strict):
    """One aggregate computed over every window: ``count``, or one of ``sum``, ``mean``,
    ``std``, ``min``, ``max``, ``ratio_to_mean`` (numeric fields) or ``distinct`` (any)
    of a field, written in the spec as ``count`` or ``{sum: amount}``."""

    function: str
    field: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"function": value}
        if isinstance(value, dict) and len(value) == 1 and "function" not in value:
            ((function, field),) = value.items()
            return {"function": function, "field": field}
        raise ValueError("write an aggregate as count, or as {function: field}, e.g. {sum: amount}")

    @model_validator(mode="after")
    def _known(self) -> Aggregate:
        known = ("count", *NUMERIC_AGGREGATES, *ANY_AGGREGATES)
        if self.function not in known:
            raise ValueError(f"unknown aggregate {self.function!r}; known: {', '.join(known)}")
        if self.function == "count" and self.field is not None:
            raise ValueError("count takes no field: write count")
        if self.function != "count" and not isinstance(self.field, str):
            raise ValueError(f"{self.function} needs a field, e.g. {{{self.function}: amount}}")
        return self

    @property
    def numeric(self) -> bool:
        """Whether the field must be a number."""
        return self.function in NUMERIC_AGGREGATES


class FeatureSpec(_Strict):
    """Per-entity features in event time, computed by the features service and, for an
    event not seen yet, by the online view (the same code). Every aggregate is taken over
    every window; a window of length w ending at an event of time t holds the entity's
    events with time in (t - w, t], the event itself included."""

    windows: list[Duration] = Field(min_length=1, description="Sliding windows, e.g. [10m, 1h].")
    aggregates: list[Aggregate] = Field(
        default_factory=lambda: [Aggregate(function="count")],
        description="What each window yields: count, {sum|mean|std|min|max: field}, "
        "{distinct: field}, {ratio_to_mean: field} (the event's value over the window mean).",
    )
    event: list[EventFeature] = Field(
        default_factory=list,
        description="Per-event values: seconds_since_previous, hour_of_day, day_of_week.",
    )
    grace: Duration = Field(
        timedelta(minutes=5),
        description="How far behind its partition's newest event time an event may be and "
        "still be placed in the windows; later ones are computed against the current state "
        "and flagged late.",
    )
    timezone: str = Field("UTC", description="IANA zone of hour_of_day and day_of_week.")
    passthrough: list[str] = Field(
        default_factory=list,
        description="Event fields copied into every features record as they are (numbers "
        "and strings, e.g. amount, channel): models read them beside the aggregates, and "
        "encode or scale them in their ONNX graph.",
    )

    @field_validator("windows")
    @classmethod
    def _windows(cls, value: list[timedelta]) -> list[timedelta]:
        for w in value:
            if w.total_seconds() < 0.001 or w.total_seconds() * 1000 % 1:
                raise ValueError(f"a window is a whole number of milliseconds > 0, not {w}")
        if len(set(value)) != len(value):
            raise ValueError("windows repeat a length")
        return value

    @field_validator("aggregates")
    @classmethod
    def _distinct_aggregates(cls, value: list[Aggregate]) -> list[Aggregate]:
        seen = set()
        for a in value:
            if (a.function, a.field) in seen:
                raise ValueError(f"aggregate {a.function} of {a.field or 'events'} is repeated")
            seen.add((a.function, a.field))
        return value

    @field_validator("passthrough")
    @classmethod
    def _passthrough(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("passthrough repeats a field")
        return value

    @field_validator("grace")
    @classmethod
    def _grace(cls, value: timedelta) -> timedelta:
        if value.total_seconds() < 0:
            raise ValueError("grace cannot be negative")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r} (an IANA name, e.g. Europe/Paris)"
            ) from exc
        return value
