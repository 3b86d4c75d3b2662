"""The pipeline spec: one YAML file (plus Avro schemas) that drives the generic services.

Only the shape is checked here; ``streamops.pipeline.checks`` checks the spec against its
event schema, and ``streamops.pipeline.loading`` ties both to line numbers in the file.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from streamops.pipeline.drift_spec import DriftSpec
from streamops.pipeline.durations import Duration
from streamops.pipeline.feature_spec import FeatureSpec
from streamops.pipeline.model_spec import ModelSpec
from streamops.pipeline.retraining_spec import RetrainingSpec
from streamops.topics import TopicNames, check_pipeline_name

PiiTreatment = Literal["drop", "salted_hash", "mask"]
LabelKind = Literal["binary", "multiclass", "regression"]


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


class PipelineSpec(_Strict):
    """A whole pipeline."""

    name: str
    description: str = ""
    event: EventSpec
    labels: LabelSpec | None = None
    expectations: Expectations = Field(default_factory=Expectations)
    pii: PiiSpec = Field(default_factory=PiiSpec)
    features: FeatureSpec | None = None
    model: ModelSpec | None = None
    drift: DriftSpec | None = None
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
