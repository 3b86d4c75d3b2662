"""What `streamops status` shows, derived from what one look at the cluster found.

Pure: `build_snapshot` takes an `Observation` (offsets, consumer groups, the model's
registry state, alert records, the monitoring and training services' /metrics text) and
the look before it, and derives rates, lags, the champion, the open alerts, a retrain held
for their rows and the primary metric. No Kafka and no terminal here, so all of it is
tested with plain values.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from streamops.contracts.types import Alert
from streamops.pipeline import Pipeline
from streamops.registry import ModelState
from streamops.topics import TopicNames, pipeline_topics

#: The services that consume in a consumer group, each under its default group id
#: (`TopicNames.stage`); ingestion and training have none.
GROUP_SERVICES = ("validation", "features", "serving", "monitoring")
#: The monitoring service's gauge of the rolling metrics (streamops_monitoring.metrics).
MODEL_METRIC = "streamops_monitoring_model_metric"
#: The training service's gauges of a retrain on alerts held for want of labelled rows
#: (streamops_training.metrics), by the `HeldRetrain` field each gives.
HELD_METRICS = {
    "streamops_training_held_alerts": "alerts",
    "streamops_training_held_labelled_rows": "rows",
    "streamops_training_held_labelled_rows_needed": "needed",
}
_CROWNING = ("PROMOTE", "ROLLBACK")


@dataclass(frozen=True)
class TopicOffsets:
    """One topic's offsets summed over its partitions."""

    records: int  #: high watermarks minus low watermarks: what the topic holds now
    written: int  #: high watermarks: everything ever written (rates come from this)


@dataclass(frozen=True)
class GroupOffsets:
    """A consumer group that exists: its state and how far behind it is."""

    state: str  #: STABLE, EMPTY (no members), PREPARING_REBALANCE ...
    lag: int | None  #: high watermark minus committed offset, summed; None: nothing committed


@dataclass(frozen=True)
class Observation:
    """One look at a pipeline, before anything is derived."""

    taken_at: datetime.datetime
    topics: Mapping[str, TopicOffsets | None]  #: by topic; None: the topic does not exist
    groups: Mapping[str, GroupOffsets | None]  #: by group id; None: no such group
    model: ModelState | None  #: the spec's model in the registry; None: never published
    alerts: Sequence[Alert]  #: alert records in log order (a later one replaces its id's)
    metrics: str | None  #: the monitoring service's /metrics text; None: unreachable
    training_metrics: str | None = None  #: the training service's; None: unreachable


@dataclass(frozen=True)
class TopicRow:
    topic: str
    records: int | None  #: None: the topic does not exist
    rate: float | None  #: records written per second since the look before; None: first look


@dataclass(frozen=True)
class GroupRow:
    service: str
    group: str
    state: str | None  #: None: the group does not exist (the service is not running)
    lag: int | None


@dataclass(frozen=True)
class Champion:
    model: str | None  #: None: the spec has no model
    version: int | None  #: None: no champion yet
    since: datetime.datetime | None  #: when the PROMOTE or ROLLBACK that crowned it was decided


@dataclass(frozen=True)
class OpenAlert:
    alert_id: str
    kind: str
    severity: str
    subject: str
    message: str
    since: datetime.datetime
    model_version: int | None


@dataclass(frozen=True)
class PrimaryMetric:
    name: str | None  #: the spec's primary metric; None: the spec has no model
    version: int | None  #: the champion's version, whose values these are
    realised: float | None  #: from labelled predictions; None: not published (yet)
    estimated: float | None  #: from the scores alone
    reachable: bool  #: whether the monitoring service's /metrics answered


@dataclass(frozen=True)
class HeldRetrain:
    """The retrain on open alerts that waits until enough rows since their window are
    labelled (the training service judges it on those rows)."""

    alerts: int
    rows: int  #: labelled rows since the oldest of their windows
    needed: int  #: the job starts once ``rows`` reaches it


@dataclass(frozen=True)
class Snapshot:
    """Everything `streamops status` shows at one moment."""

    pipeline: str
    taken_at: datetime.datetime
    topics: tuple[TopicRow, ...]
    groups: tuple[GroupRow, ...]
    champion: Champion
    alerts: tuple[OpenAlert, ...]
    metric: PrimaryMetric
    held: HeldRetrain | None = None  #: None: no retrain waits (or training unreachable)

    def as_json(self) -> dict[str, Any]:
        """The snapshot as JSON-ready values (times as ISO-8601 text)."""
        return _jsonable(asdict(self))  # type: ignore[no-any-return]


def status_topics(pipeline: Pipeline) -> list[str]:
    """The pipeline's topics in data-flow order, its spec's label topic in place of the
    catalog's when the spec names another one."""
    names = TopicNames(pipeline.name)
    topics = [spec.name for spec in pipeline_topics(pipeline.name)]
    return [pipeline.spec.label_topic if t == names.labels else t for t in topics]


def consumer_groups(pipeline: str) -> dict[str, str]:
    """The default consumer group of each service that has one, by service."""
    names = TopicNames(pipeline)
    return {service: names.stage(service) for service in GROUP_SERVICES}


def model_name(pipeline: Pipeline) -> str | None:
    """The spec's model (as training names it), None when the spec has no model."""
    model = pipeline.spec.model
    return None if model is None else model.name or pipeline.name


def primary_metric_name(pipeline: Pipeline) -> str | None:
    """The spec's primary metric (its task from the labels as monitoring finds it)."""
    spec = pipeline.spec
    if spec.model is None:
        return None
    task = spec.model.task_for(spec.labels.kind) if spec.labels else spec.model.task or "binary"
    return spec.model.metric_for(task)


def build_snapshot(
    pipeline: Pipeline, seen: Observation, before: Observation | None = None
) -> Snapshot:
    """The snapshot of ``seen``; rates are over the time since ``before`` when given."""
    champion = find_champion(model_name(pipeline), seen.model)
    return Snapshot(
        pipeline=pipeline.name,
        taken_at=seen.taken_at,
        topics=tuple(_topic_row(t, seen, before) for t in status_topics(pipeline)),
        groups=tuple(
            GroupRow(service, group, *_group(seen.groups.get(group)))
            for service, group in consumer_groups(pipeline.name).items()
        ),
        champion=champion,
        alerts=tuple(open_alerts(seen.alerts)),
        metric=read_metric(
            seen.metrics, pipeline.name, champion.version, primary_metric_name(pipeline)
        ),
        held=read_held(seen.training_metrics, pipeline.name),
    )


def find_champion(name: str | None, model: ModelState | None) -> Champion:
    """The model's champion and when it was crowned."""
    if name is None or model is None or model.champion is None:
        return Champion(name, None, None)
    crowned = [d for d in model.deployments_of(model.champion) if d["action"] in _CROWNING]
    return Champion(name, model.champion, crowned[-1]["decided_at"] if crowned else None)


def open_alerts(records: Iterable[Alert]) -> list[OpenAlert]:
    """The alerts whose latest record is OPEN, the oldest first (the topic is compacted by
    alert id: the latest record of an id is its state)."""
    latest = {record["alert_id"]: record for record in records}
    found = [
        OpenAlert(
            alert_id=a["alert_id"],
            kind=a["kind"],
            severity=a["severity"],
            subject=a["subject"],
            message=a.get("message") or "",
            since=a["opened_at"],
            model_version=a.get("model_version"),
        )
        for a in latest.values()
        if a["state"] == "OPEN"
    ]
    return sorted(found, key=lambda alert: (alert.since, alert.alert_id))


def read_metric(
    text: str | None, pipeline: str, version: int | None, metric: str | None
) -> PrimaryMetric:
    """The champion's realised and estimated ``metric`` from the /metrics text."""
    if text is None:
        return PrimaryMetric(metric, version, None, None, reachable=False)
    values: dict[str, float] = {}
    try:
        for family in text_string_to_metric_families(text):
            if family.name != MODEL_METRIC or version is None:
                continue
            for sample in family.samples:
                labels = sample.labels
                if (labels.get("pipeline"), labels.get("metric")) == (pipeline, metric) and (
                    labels.get("model_version") == str(version)
                ):
                    values[labels.get("source", "")] = sample.value
    except ValueError:  # not the Prometheus text format: not the monitoring service
        return PrimaryMetric(metric, version, None, None, reachable=False)
    realised, estimated = (_number(values.get(s)) for s in ("realised", "estimated"))
    return PrimaryMetric(metric, version, realised, estimated, reachable=True)


def read_held(text: str | None, pipeline: str) -> HeldRetrain | None:
    """The retrain held for labelled rows that the training service's /metrics text shows;
    None when none is held or the text is not there (or not Prometheus text)."""
    if text is None:
        return None
    values: dict[str, int] = {}
    try:
        for family in text_string_to_metric_families(text):
            field = HELD_METRICS.get(family.name)
            if field is None:
                continue
            for sample in family.samples:
                if sample.labels.get("pipeline") == pipeline and not math.isnan(sample.value):
                    values[field] = int(sample.value)
    except ValueError:
        return None
    if values.get("alerts", 0) <= 0 or len(values) < len(HELD_METRICS):
        return None
    return HeldRetrain(**values)


def _topic_row(topic: str, seen: Observation, before: Observation | None) -> TopicRow:
    now = seen.topics.get(topic)
    if now is None:
        return TopicRow(topic, None, None)
    then = before.topics.get(topic) if before is not None else None
    rate = None
    if before is not None and then is not None:
        seconds = (seen.taken_at - before.taken_at).total_seconds()
        if seconds > 0:
            rate = max(now.written - then.written, 0) / seconds
    return TopicRow(topic, now.records, rate)


def _group(found: GroupOffsets | None) -> tuple[str | None, int | None]:
    return (None, None) if found is None else (found.state, found.lag)


def _number(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    return value
