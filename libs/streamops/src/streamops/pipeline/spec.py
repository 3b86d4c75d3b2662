"""The pipeline spec: one YAML file (plus Avro schemas) that drives the generic services.

Only the shape is checked here; ``streamops.pipeline.checks`` checks the spec against its
event schema, and ``streamops.pipeline.loading`` ties both to line numbers in the file.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from streamops.pipeline.durations import Duration
from streamops.pipeline.model_spec import ModelSpec, RetrainingSpec
from streamops.topics import TopicNames, check_pipeline_name

PiiTreatment = Literal["drop", "salted_hash", "mask"]
LabelKind = Literal["binary", "multiclass", "regression"]
#: Aggregates over a window of one numeric field, and over one field of any type.
NUMERIC_AGGREGATES = ("sum", "mean", "std", "min", "max", "ratio_to_mean")
ANY_AGGREGATES = ("distinct",)
EventFeature = Literal["seconds_since_previous", "hour_of_day", "day_of_week"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class EventSpec(_Strict):
    """The events of the pipeline and the three fields every service relies on."""

    schema_file: Path = Field(
        alias="schema", description="Avro schema (.avsc) of the events, relative to the spec."
    )
    id_field: str = Field(description="Unique event id; ingestion stamps one when absent.")
    key_field: str = Field(description="Entity key: partitions topics, keys features.")
    time_field: str = Field(description="Event time (timestamp-millis).")


class LabelSpec(_Strict):
    """Where labels arrive and how they join the events (records of the platform Label)."""

    topic: str | None = Field(None, description="Label topic; default {name}.labels.")
    join_key: str = Field(description="The event field a label's event_id refers to.")
    expected_delay: Duration = Field(description="How late labels arrive, e.g. 3d.")
    negative_after_delay: bool = Field(
        True, description="An event with no label after expected_delay counts as negative."
    )
    kind: LabelKind = Field(
        "binary",
        description="binary: value 1.0 (positive) or 0.0; multiclass: a class name (string); "
        "regression: any finite number.",
    )
    classes: list[str] | None = Field(
        None, min_length=2, description="multiclass only: the class names a label may take."
    )

    @model_validator(mode="after")
    def _classes(self) -> LabelSpec:
        if self.classes is not None and self.kind != "multiclass":
            raise ValueError(f"classes are for kind multiclass, not {self.kind}")
        if self.classes is not None and len(set(self.classes)) != len(self.classes):
            raise ValueError(f"classes repeat a name: {self.classes}")
        return self


class Range(_Strict):
    """Inclusive bounds; either may be left out."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Range:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class FieldExpectation(_Strict):
    """Rules for one field, each checked on every record."""

    not_null: bool = False
    range: Range | None = None
    allowed: list[str | bool | int | float] | None = Field(None, min_length=1)
    regex: str | None = Field(None, description="The whole value must match (fullmatch).")
    max_length: int | None = Field(None, ge=1)

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value

    def rules(self) -> list[str]:
        """The names of the rules this expectation sets."""
        return [
            name
            for name in ("not_null", "range", "allowed", "regex", "max_length")
            if getattr(self, name) not in (None, False)
        ]


class Bounds(_Strict):
    """Inclusive integer bounds; either may be left out."""

    min: int | None = Field(None, ge=0)
    max: int | None = Field(None, ge=0)


class WindowExpectations(_Strict):
    """Rules over a tumbling window of records rather than one record."""

    size: Duration = Field(timedelta(minutes=1), description="Window length, e.g. 1m.")
    row_count: Bounds | None = Field(None, description="Records expected per window.")
    null_rate: dict[str, float] = Field(
        default_factory=dict, description="Highest share of nulls per field, 0..1."
    )
    unique: list[str] = Field(default_factory=list, description="Fields unique in a window.")

    @field_validator("null_rate")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        for name, rate in value.items():
            if not 0 <= rate <= 1:
                raise ValueError(f"null rate of {name} must be between 0 and 1, not {rate}")
        return value


class AlertPolicy(_Strict):
    """When a rule's failures become a data-quality alert, and when it resolves."""

    failure_rate: float = Field(0.05, gt=0, le=1, description="Open above this share.")
    resolve_rate: float | None = Field(
        None, ge=0, lt=1, description="Resolve below this share; default failure_rate / 2."
    )
    window: Duration = Field(timedelta(minutes=1), description="Window the rate is taken on.")
    min_records: int = Field(100, ge=1, description="Smaller windows are not judged.")

    @property
    def resolve_below(self) -> float:
        return self.resolve_rate if self.resolve_rate is not None else self.failure_rate / 2


class Expectations(_Strict):
    """What clean data looks like: per field, per window, and when to alert."""

    fields: dict[str, FieldExpectation] = Field(default_factory=dict)
    window: WindowExpectations | None = None
    alerts: AlertPolicy = Field(default_factory=AlertPolicy)


class PiiSpec(_Strict):
    """Personal data treated by ingestion before anything reaches Kafka."""

    fields: dict[str, PiiTreatment] = Field(default_factory=dict)
    salt_env: str = Field(
        "STREAMOPS_PII_SALT", description="Environment variable holding the hashing salt."
    )
    mask_keep_last: int = Field(4, ge=0, description="Characters left visible by mask.")


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


class PipelineSpec(_Strict):
    """A whole pipeline. drift is reserved for the service that reads it (monitoring) and
    is not checked yet."""

    name: str
    description: str = ""
    event: EventSpec
    labels: LabelSpec | None = None
    expectations: Expectations = Field(default_factory=Expectations)
    pii: PiiSpec = Field(default_factory=PiiSpec)
    features: FeatureSpec | None = None
    model: ModelSpec | None = None
    drift: dict[str, Any] | None = None
    retraining: RetrainingSpec | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        check_pipeline_name(value)
        return value

    @property
    def label_topic(self) -> str:
        """The spec's label topic, else the catalog's ``{name}.labels``."""
        return (self.labels.topic if self.labels and self.labels.topic else None) or (
            TopicNames(self.name).labels
        )
