"""What a pipeline's ``features:`` section computes: names, types and the output schema.

Names, in output order: for every window (spec order), every aggregate (spec order), then
the per-event values, then the passthrough fields. ``count_10m``; ``sum_amount_1h``
(likewise mean, std, min, max); ``distinct_country_1d``; ``amount_over_mean_10m``
(ratio_to_mean); then ``seconds_since_previous``, ``hour_of_day``, ``day_of_week``; then
e.g. ``amount``, ``channel`` (passthrough keeps the field's name). Window lengths are
spelled by `format_duration` (24h is ``1d``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from streamops.pipeline import Pipeline, format_duration
from streamops.pipeline.checks import field_types
from streamops.pipeline.feature_spec import FeatureSpec

#: The fields every features record carries before the feature values.
RECORD_FIELDS: tuple[str, ...] = (
    "event_id",
    "entity_key",
    "event_time",
    "source_topic",
    "source_partition",
    "source_offset",
    "late",
)


def features_event_time(value: bytes) -> int:
    """The event time (ms) of a features record in the Confluent wire format, read
    without decoding the rest: every features record starts event_id, entity_key,
    event_time (`RECORD_FIELDS`), two strings then a long. IndexError: too short."""
    pos = 5  # the magic byte and the schema id
    for _ in range(2):
        length, pos = _zigzag(value, pos)
        pos += length
    return _zigzag(value, pos)[0]


def _zigzag(data: bytes, pos: int) -> tuple[int, int]:
    """An Avro long (zig-zag varint) at ``pos``, and the position after it."""
    shift = result = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7


_LONG = ("count", "distinct")
_NUMBERS = {"int", "long", "float", "double"}
_NOT_AVRO_NAME = re.compile(r"[^A-Za-z0-9_]")


@dataclass(frozen=True)
class Feature:
    """One output value: its name, its Avro type, and how it is computed."""

    name: str
    # count, sum, mean, std, min, max, distinct, ratio_to_mean, an event value, passthrough
    function: str
    field: str | None
    window_ms: int | None
    doc: str
    text: bool = False  # a passthrough of a string field

    @property
    def avro_type(self) -> Any:
        if self.function == "passthrough":
            return ["null", "string" if self.text else "double"]
        if self.function in _LONG:
            return "long"
        if self.function in ("hour_of_day", "day_of_week"):
            return "int"
        if self.function == "sum":
            return "double"
        return ["null", "double"]


@dataclass(frozen=True)
class FeatureSet:
    """The compiled ``features:`` section of one pipeline."""

    pipeline: str
    spec: FeatureSpec
    key_field: str
    time_field: str
    id_field: str
    join_field: str | None  # the labels' join key, when it is not the event id
    features: tuple[Feature, ...]
    #: the event fields the state keeps per event (numeric ones, then the others)
    fields: tuple[str, ...]
    windows_ms: tuple[int, ...]
    grace_ms: int
    #: longest window plus grace: no event older than this behind the watermark counts
    horizon_ms: int

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.features]

    def filling_ms(self) -> dict[str, int]:
        """How long after a stream starts each feature that looks back is still filling:
        its window, and for the time since the entity's previous event the horizon (no
        previous event further back counts). Until then its values are smaller than they
        will be: a reference profile leaves such rows out, monitoring holds them back."""
        filling = {f.name: f.window_ms for f in self.features if f.window_ms is not None}
        for f in self.features:
            if f.function == "seconds_since_previous":
                filling[f.name] = self.horizon_ms
        return filling

    def schema(self) -> dict[str, Any]:
        """The Avro record schema of ``{p}.features``, derived from the spec."""
        namespace = "streamops." + _NOT_AVRO_NAME.sub("_", self.pipeline)
        join = (
            [
                {
                    "name": self.join_field,
                    "type": ["null", "string"],
                    "default": None,
                    "doc": "The labels' join key (null: the event cannot be labelled).",
                }
            ]
            if self.join_field
            else []
        )
        return {
            "type": "record",
            "name": "Features",
            "namespace": namespace,
            "doc": f"Per-entity features of pipeline {self.pipeline}, one record per valid "
            "event, derived from the pipeline spec's features section.",
            "fields": [
                {"name": "event_id", "type": "string", "doc": f"The event's {self.id_field}."},
                {"name": "entity_key", "type": "string", "doc": f"The event's {self.key_field}."},
                {
                    "name": "event_time",
                    "type": {"type": "long", "logicalType": "timestamp-millis"},
                    "doc": f"The event's {self.time_field}.",
                },
                {"name": "source_topic", "type": "string", "doc": "Where the event was read."},
                {"name": "source_partition", "type": "int"},
                {"name": "source_offset", "type": "long"},
                {
                    "name": "late",
                    "type": "boolean",
                    "doc": "The event came later than the grace: computed against the "
                    "current state and not added to it.",
                },
                *join,
                *({"name": f.name, "type": f.avro_type, "doc": f.doc} for f in self.features),
            ],
        }


def window_label(window_ms: int) -> str:
    """How a window length appears in feature names: 10m, 1h, 1d."""
    return format_duration(timedelta(milliseconds=window_ms))


def feature_set(pipeline: Pipeline) -> FeatureSet:
    """Compile the pipeline's features section; a ValueError if it has none."""
    spec = pipeline.spec
    if spec.features is None:
        raise ValueError(f"pipeline {spec.name} has no features section")
    fs = spec.features
    windows = tuple(round(w.total_seconds() * 1000) for w in fs.windows)
    features: list[Feature] = []
    for w in windows:
        label = window_label(w)
        span = f"over the entity's events in the last {label} (t - {label}, t]"
        for a in fs.aggregates:
            if a.function == "count":
                features.append(Feature(f"count_{label}", "count", None, w, f"Events {span}."))
            elif a.function == "ratio_to_mean":
                features.append(
                    Feature(
                        f"{a.field}_over_mean_{label}",
                        a.function,
                        a.field,
                        w,
                        f"The event's {a.field} over its mean {span}.",
                    )
                )
            else:
                features.append(
                    Feature(
                        f"{a.function}_{a.field}_{label}",
                        a.function,
                        a.field,
                        w,
                        f"{a.function} of {a.field} {span}.",
                    )
                )
    docs = {
        "seconds_since_previous": "Seconds since the entity's previous event (null if none "
        "within the longest window plus grace).",
        "hour_of_day": f"Hour of the event time in {fs.timezone}, 0-23.",
        "day_of_week": f"Day of the week of the event time in {fs.timezone}, 0 = Monday.",
    }
    features += [Feature(name, name, None, None, docs[name]) for name in fs.event]
    types = field_types(pipeline.event_schema)
    features += [
        Feature(
            name,
            "passthrough",
            name,
            None,
            f"The event's {name}, as it came.",
            text=types[name].name not in _NUMBERS,
        )
        for name in fs.passthrough
    ]
    numeric = [a.field for a in fs.aggregates if a.numeric and a.field]
    other = [a.field for a in fs.aggregates if not a.numeric and a.field]
    fields = tuple(dict.fromkeys([*numeric, *other]))
    labels = spec.labels
    join = labels.join_key if labels and labels.join_key != spec.event.id_field else None
    grace = round(fs.grace.total_seconds() * 1000)
    return FeatureSet(
        pipeline=spec.name,
        spec=fs,
        key_field=spec.event.key_field,
        time_field=spec.event.time_field,
        id_field=spec.event.id_field,
        join_field=join,
        features=tuple(features),
        fields=fields,
        windows_ms=windows,
        grace_ms=grace,
        horizon_ms=max(windows) + grace,
    )
