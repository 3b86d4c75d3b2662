"""The pipeline spec: the one file that drives every generic service."""

from streamops.pipeline.checks import Problem, check_spec, field_types
from streamops.pipeline.durations import Duration, format_duration, parse_duration
from streamops.pipeline.loading import Pipeline, SpecError, load_pipeline
from streamops.pipeline.spec import (
    AlertPolicy,
    EventSpec,
    Expectations,
    FieldExpectation,
    LabelSpec,
    PiiSpec,
    PipelineSpec,
    WindowExpectations,
)

__all__ = [
    "AlertPolicy",
    "Duration",
    "EventSpec",
    "Expectations",
    "FieldExpectation",
    "LabelSpec",
    "PiiSpec",
    "Pipeline",
    "PipelineSpec",
    "Problem",
    "SpecError",
    "WindowExpectations",
    "check_spec",
    "field_types",
    "format_duration",
    "load_pipeline",
    "parse_duration",
]
