"""Building a point-in-time training set from a pipeline's log.

`build_dataset` reads ``{p}.features`` and ``{p}.labels.valid`` up to end offsets fixed
before reading (or given, to rebuild a dataset), from their first offsets (or given ones:
`streamops.dataset.marks` says where a read that needs only recent rows may start), joins
them as the labels were known at the cut-off (`streamops.dataset.join`), and returns the
rows with their identity (`streamops.dataset.identity`). Writing them is
`streamops.dataset.parquet`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient

from streamops.contracts import load_schema
from streamops.dataset.errors import DatasetError, NothingToRead, NotTrainable
from streamops.dataset.identity import EPOCH, DatasetIdentity, content_hash
from streamops.dataset.join import LabelRecord, LabelRules, join_point_in_time
from streamops.dataset.marks import sample_reach
from streamops.dataset.read import TopicRead, dataset_consumer, plan_ranges, read_range
from streamops.features import FeatureSet, feature_set
from streamops.pipeline import Pipeline
from streamops.serde import AvroDecoder
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.topics import TopicNames

#: Called with the offsets read so far and the total to read (both topics together).
Progress = Callable[[int, int], None]
_TIMESTAMP = {"type": "long", "logicalType": "timestamp-millis"}
_MS = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Column:
    """A dataset column: its name and Avro type (times are timestamp-millis)."""

    name: str
    avro_type: Any


@dataclass(frozen=True)
class Dataset:
    """A training set: rows in order, as tuples in column order, and its identity;
    ``reach``: where the features read reached in event time (`marks.sample_reach`)."""

    identity: DatasetIdentity
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]
    reach: Mapping[int, list[tuple[int, int]]] = field(default_factory=dict)


def build_dataset(
    pipeline: Pipeline,
    kafka: KafkaSettings,
    registry: SchemaRegistrySettings,
    until_ms: int | None = None,
    end_offsets: Mapping[str, Mapping[int, int]] | None = None,
    on_progress: Progress | None = None,
    timeout_s: float = 30.0,
    start_offsets: Mapping[str, Mapping[int, int]] | None = None,
) -> Dataset:
    """The training set of ``pipeline`` at cut-off ``until_ms`` (event time, epoch ms;
    default: the highest event time among the features read).

    ``end_offsets`` and ``start_offsets`` (topic -> partition -> offset, e.g. an
    identity's `end_offsets()` and `start_offsets()`) read exactly those ranges again;
    without them the ends are the topics' current ends and the starts their first kept
    offsets. Raises NotTrainable, NothingToRead, ClusterUnavailable or OffsetsGone.
    """
    features_set, rules = trainable(pipeline)
    names = TopicNames(pipeline.name)
    topics = (names.features, names.labels_valid)
    for which, given in (("end", end_offsets), ("start", start_offsets)):
        if given is not None and not set(given) <= set(topics):
            raise DatasetError(
                f"the {which} offsets are of topics {sorted(given)}, not of pipeline "
                f"{pipeline.name} ({', '.join(topics)})"
            )
    schema = features_set.schema()
    features, labels = _read(
        names,
        schema,
        kafka,
        registry,
        (start_offsets or {}, end_offsets),
        on_progress or _ignore,
        timeout_s,
    )
    times = _time_fields(schema)
    values = [
        {k: _millis(v) if k in times else v for k, v in r.value.items()} for r in features.records
    ]
    if not values:
        raise NothingToRead(
            f"none of the {features.undecodable} records of {names.features} could be read "
            "with the schema the spec derives: was the spec's features section changed?"
        )
    cutoff = until_ms if until_ms is not None else max(v["event_time"] for v in values)
    known = (
        LabelRecord(
            r.value["event_id"],
            r.value["value"],
            _millis(r.value["label_time"]),
            r.partition,
            r.offset,
        )
        for r in labels.records
    )
    joined = join_point_in_time(values, known, rules, cutoff)
    columns = dataset_columns(schema, rules)
    rows = [tuple(row[c.name] for c in columns) for row in joined.rows]
    column_names = tuple(c.name for c in columns)
    identity = DatasetIdentity(
        pipeline=pipeline.name,
        cutoff_ms=cutoff,
        features=features.range(),
        labels=labels.range(),
        counts=joined.counts.as_dict(),
        content_hash=content_hash(column_names, rows),
        columns=column_names,
    )
    positions = zip(features.records, values, strict=True)
    reach = sample_reach([(r.partition, r.offset, v["event_time"]) for r, v in positions])
    return Dataset(identity, columns, rows, reach)


def _read(
    names: TopicNames,
    features_schema: Mapping[str, Any],
    kafka: KafkaSettings,
    registry: SchemaRegistrySettings,
    offsets: tuple[Mapping[str, Mapping[int, int]], Mapping[str, Mapping[int, int]] | None],
    on_progress: Progress,
    timeout_s: float,
) -> tuple[TopicRead, TopicRead]:
    """Both topics, their ends fixed before either is read (features, then labels);
    ``offsets``: the starts given and the ends given (None: the current ends)."""
    start_offsets, end_offsets = offsets
    client = SchemaRegistryClient(registry.client_config())
    readers = {names.features: features_schema, names.labels_valid: load_schema("Label")}
    consumer = dataset_consumer(kafka)
    try:
        plans = {
            t: plan_ranges(
                consumer,
                t,
                None if end_offsets is None else end_offsets.get(t, {}),
                timeout_s,
                start_offsets.get(t),
            )
            for t in readers
        }
        for t, plan in plans.items():
            if all(end <= start for start, end in plan.values()):
                raise NothingToRead(f"topic {t} has no records to read")
        total = sum(end - start for plan in plans.values() for start, end in plan.values())
        done = 0
        on_progress(done, total)

        def advance(n: int) -> None:
            nonlocal done
            done += n
            on_progress(done, total)

        features, labels = (
            read_range(
                consumer,
                t,
                plans[t],
                AvroDecoder(client, reader),
                timeout_s=timeout_s,
                on_advance=advance,
            )
            for t, reader in readers.items()
        )
    finally:
        consumer.close()
    return features, labels


def _ignore(done: int, total: int) -> None:
    """No progress reports wanted."""


def trainable(pipeline: Pipeline) -> tuple[FeatureSet, LabelRules]:
    """The features and label rules of a spec; NotTrainable when it lacks either."""
    spec = pipeline.spec
    missing = [s for s in ("features", "labels") if getattr(spec, s) is None]
    if missing:
        raise NotTrainable(
            f"pipeline {spec.name} ({pipeline.file}) has no {' and no '.join(missing)} "
            "section: a training set joins features with labels"
        )
    return feature_set(pipeline), LabelRules.from_spec(spec)


def dataset_columns(features_schema: Mapping[str, Any], rules: LabelRules) -> tuple[Column, ...]:
    """The features record's fields, then ``label``, ``label_source`` and ``label_time``."""
    label_type = "string" if rules.kind == "multiclass" else "double"
    columns = [Column(f["name"], f["type"]) for f in features_schema["fields"]]
    added = [
        Column("label", label_type),
        Column("label_source", "string"),
        Column("label_time", ["null", _TIMESTAMP]),
    ]
    clash = {c.name for c in columns} & {c.name for c in added}
    if clash:
        raise NotTrainable(f"the features records have fields named {sorted(clash)}")
    return (*columns, *added)


def _time_fields(schema: Mapping[str, Any]) -> set[str]:
    def is_time(t: Any) -> bool:
        if isinstance(t, list):
            return any(is_time(m) for m in t)
        return isinstance(t, dict) and t.get("logicalType") == "timestamp-millis"

    return {f["name"] for f in schema["fields"] if is_time(f["type"])}


def _millis(value: Any) -> Any:
    """An Avro timestamp-millis as epoch ms (decoders give an aware datetime)."""
    if isinstance(value, datetime):
        return (value - EPOCH) // _MS
    return value
