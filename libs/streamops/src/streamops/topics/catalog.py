"""The topic catalog: every topic of a pipeline, declared in one place.

A pipeline ``p`` owns thirteen topics (docs/architecture.md). Four shapes:

**Event topics** (``p.events.raw``, ``p.events.valid``, ``p.events.dlq``, ``p.features``,
``p.labels``, ``p.labels.valid``, ``p.predictions``): keyed by the entity key,
``partitions`` partitions each (default 6), ``cleanup.policy=delete``.

- *One partition count for all of them*, because partitions are the unit of parallelism
  and the stages join by entity key (features with labels, predictions with labels):
  equal counts keep an entity's records in the same partition number on every topic.
- *6 by default*: 1, 2, 3 or 6 replicas of a service share the work evenly. Adding
  partitions later moves keys to other partitions, which breaks per-entity windows in
  the feature service, so start with headroom rather than grow.
- *Retention*: ``events.raw`` and ``events.valid`` keep 7 days (enough to replay after an
  outage or a bad deploy). ``features``, both label topics and ``predictions`` keep 30 days:
  training rebuilds its window from these topics and monitoring joins predictions with
  labels that arrive late (chargebacks), so they must outlive the label delay. The DLQ
  keeps 30 days so that a human has time to look at rejected events and replay them.
  A pipeline with a longer label delay raises ``retention.ms`` on features, labels and
  predictions together through ``overrides``.

**The model registry** (``p.models``): one partition, ``cleanup.policy=compact``. It is
state: a ModelVersion record per version (key ``{model}:{version}``) and the ONNX artifact
in ModelChunk records (key ``{model}:{version}:chunk:{i:05d}``), so compaction keeps every
version forever and a serving replica started a year later still finds its champion.
Artifacts are chunked (``streamops.registry``) so every record stays under the broker's
default message limit (1 MiB) whatever the model's size: no producer, consumer or broker
limit has to be raised (it once set ``max.message.bytes`` to 32 MiB; a cluster that still
has it keeps it, and nothing compares it).

**Audit logs** (``p.deployments``, ``p.runs``, ``p.lineage``, ``p.control``): one partition,
``cleanup.policy=delete`` with ``retention.ms=-1``: append-only, never compacted, never
deleted. Every promotion, rollback, retirement, shadow and canary is an event whose
history matters (compaction would keep only a model's last one), every training run is
recorded whatever its outcome, the lineage of a version must outlive the version's
service, and an operator's request (``p.control``: train now, pause or resume retraining)
is both an instruction to a service and the record of who asked. They are small (a record
per decision, run or request). One partition, because the order of deployments matters
globally and every consumer reads them all at start-up.
``p.deployments`` was compacted before; on such a cluster `ensure_topics` reports the
``cleanup.policy`` and ``retention.ms`` drift and ``apply=True`` (``streamops topics ensure
--apply``) sets both in one alter of the topic, so no moment has ``delete`` with the broker's
7-day default retention. Records compaction already removed do not come back.

**Alerts** (``p.alerts``): one partition, ``cleanup.policy=compact,delete``, 90 days,
keyed by alert id. Alerts are events, not state, so they must age out (``delete``); but
the producers are at-least-once with idempotent keys, and monitoring re-emits the same
alert id when it restarts over the same window, so compaction collapses those
duplicates (and an alert's later status update replaces its first record). Alert
producers must therefore always set a key: Kafka rejects null keys on compacted topics.
One partition because alerts are rare and training reacts to them in order.

**Durability**: ``min.insync.replicas=2`` is set on the topics that cannot be rebuilt from
another topic (``events.raw``, ``labels``, ``models``, ``deployments``, ``runs``) when the
replication factor is at least 3, so an acknowledged write survives the loss of a broker.
Derived topics (``lineage`` repeats what ``runs`` and ``models`` hold) can be recomputed,
so they keep the broker default. With a smaller
or unknown (broker default) replication factor the key is not set, because a
``min.insync.replicas`` above the replica count makes every ``acks=all`` write fail.

All other topic configs (``max.message.bytes`` included) keep the broker defaults and are
not compared by `ensure_topics`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from streamops.topics.errors import InvalidTopicSpecError
from streamops.topics.spec import MAX_TOPIC_NAME_LENGTH, TopicSpec

DEFAULT_EVENT_PARTITIONS = 6
_DAY_MS = 24 * 60 * 60 * 1000
# Append-only and kept forever: delete never runs, and compaction is off.
_FOREVER = {"cleanup.policy": "delete", "retention.ms": "-1"}


@dataclass(frozen=True)
class _Shape:
    """How one topic of the catalog is laid out, before the pipeline name is known."""

    suffix: str
    keyed_events: bool  # takes the pipeline's event partition count; otherwise 1 partition
    config: Mapping[str, str]
    irreplaceable: bool  # gets min.insync.replicas when replicated enough


def _delete(days: int) -> dict[str, str]:
    return {"cleanup.policy": "delete", "retention.ms": str(days * _DAY_MS)}


_SHAPES: tuple[_Shape, ...] = (
    _Shape("events.raw", True, _delete(7), irreplaceable=True),
    _Shape("events.valid", True, _delete(7), irreplaceable=False),
    _Shape("events.dlq", True, _delete(30), irreplaceable=False),
    _Shape("features", True, _delete(30), irreplaceable=False),
    _Shape("labels", True, _delete(30), irreplaceable=True),
    _Shape("labels.valid", True, _delete(30), irreplaceable=False),
    _Shape("predictions", True, _delete(30), irreplaceable=False),
    _Shape(
        "alerts",
        False,
        {"cleanup.policy": "compact,delete", "retention.ms": str(90 * _DAY_MS)},
        irreplaceable=False,
    ),
    _Shape("models", False, {"cleanup.policy": "compact"}, irreplaceable=True),
    _Shape("deployments", False, _FOREVER, irreplaceable=True),
    _Shape("runs", False, _FOREVER, irreplaceable=True),
    _Shape("lineage", False, _FOREVER, irreplaceable=False),
    _Shape("control", False, _FOREVER, irreplaceable=False),
)

#: The topic suffixes of a pipeline, in data-flow order; ``overrides`` is keyed by these.
TOPIC_SUFFIXES: tuple[str, ...] = tuple(shape.suffix for shape in _SHAPES)

_MAX_PIPELINE_LENGTH = MAX_TOPIC_NAME_LENGTH - 1 - max(len(s) for s in TOPIC_SUFFIXES)
# No '.': it separates the pipeline from the suffix, and Kafka treats '.' and '_' as the
# same character in metric names, so "a.b" would collide with another pipeline "a_b".
_LEGAL_PIPELINE = re.compile(r"[a-zA-Z0-9_-]+")


@dataclass(frozen=True)
class TopicNames:
    """The topic names of one pipeline: call sites ask here and never build names themselves."""

    pipeline: str

    def __post_init__(self) -> None:
        check_pipeline_name(self.pipeline)

    def _name(self, suffix: str) -> str:
        return f"{self.pipeline}.{suffix}"

    @property
    def events_raw(self) -> str:
        return self._name("events.raw")

    @property
    def events_valid(self) -> str:
        return self._name("events.valid")

    @property
    def events_dlq(self) -> str:
        return self._name("events.dlq")

    @property
    def features(self) -> str:
        return self._name("features")

    @property
    def labels(self) -> str:
        return self._name("labels")

    @property
    def labels_valid(self) -> str:
        """Labels that passed validation's checks: what training and monitoring read."""
        return self._name("labels.valid")

    @property
    def predictions(self) -> str:
        return self._name("predictions")

    @property
    def alerts(self) -> str:
        return self._name("alerts")

    @property
    def models(self) -> str:
        return self._name("models")

    @property
    def deployments(self) -> str:
        return self._name("deployments")

    @property
    def runs(self) -> str:
        """Training runs (TrainingRun records), whatever their outcome."""
        return self._name("runs")

    @property
    def lineage(self) -> str:
        """OpenLineage RunEvents of the training runs, in JSON."""
        return self._name("lineage")

    @property
    def control(self) -> str:
        """Operators' requests to the services (ControlRequest records): train now, pause
        or resume retraining."""
        return self._name("control")

    def stage(self, service: str) -> str:
        """The default consumer group (and stage name) of ``service``, e.g. ``p.validation``."""
        return self._name(service)


def changelog_topic(stage: str, store: str, partitions: int) -> TopicSpec:
    """The compacted changelog of state store ``store`` of ``stage`` (a consumer group name).

    One partition per input partition: state partition n is restored from changelog
    partition n. Compacted, so it holds the latest value of every key and a restore reads
    each live key once; ``min.compaction.lag.ms`` keeps the last minute uncompacted so a
    restore always sees the closing marker of recent batches.
    """
    return TopicSpec(
        name=f"{stage}.{store}.changelog",
        partitions=partitions,
        replication_factor=None,
        config={"cleanup.policy": "compact", "min.compaction.lag.ms": "60000"},
    )


def partials_topic(stage: str) -> TopicSpec:
    """Where the replicas of ``stage`` publish per-partition partial statistics.

    One partition, so one consumer (the owner) combines them and decides about the whole
    stream, whatever the number of replicas (docs/architecture.md, "Global answers").
    Partials matter only until the owner has combined them: a day of retention is plenty.
    """
    return TopicSpec(
        name=f"{stage}.partials",
        partitions=1,
        replication_factor=None,
        config=_delete(1),
    )


def check_pipeline_name(pipeline: str) -> None:
    """Raise `InvalidTopicSpecError` unless ``pipeline`` yields legal, unambiguous topic names."""
    if not pipeline:
        raise InvalidTopicSpecError("pipeline name is empty")
    if len(pipeline) > _MAX_PIPELINE_LENGTH:
        raise InvalidTopicSpecError(
            f"pipeline name is {len(pipeline)} characters long; at most "
            f"{_MAX_PIPELINE_LENGTH} keep its topic names within Kafka's "
            f"{MAX_TOPIC_NAME_LENGTH}-character limit"
        )
    if not _LEGAL_PIPELINE.fullmatch(pipeline):
        bad = sorted({c for c in pipeline if not _LEGAL_PIPELINE.fullmatch(c)})
        raise InvalidTopicSpecError(
            f"pipeline name {pipeline!r} contains {''.join(bad)!r}; use only ASCII "
            "letters, digits, '_' and '-' ('.' separates the pipeline from its topic suffix)"
        )


def pipeline_topics(
    pipeline: str,
    *,
    partitions: int = DEFAULT_EVENT_PARTITIONS,
    replication_factor: int | None = None,
    overrides: Mapping[str, Mapping[str, str]] | None = None,
) -> list[TopicSpec]:
    """The twelve topics of ``pipeline``, in data-flow order.

    ``partitions`` applies to the seven keyed topics (the others have one).
    ``replication_factor`` of None (or -1) leaves it to the broker default; production
    passes 3. ``overrides`` maps a suffix from `TOPIC_SUFFIXES` to topic configs that
    replace or extend the catalog's, e.g. ``{"features": {"retention.ms": "..."}}``.
    """
    check_pipeline_name(pipeline)
    if partitions < 1:
        raise InvalidTopicSpecError(f"partitions must be at least 1, got {partitions}")
    if replication_factor == -1:
        replication_factor = None  # Kafka's own spelling of "broker default"
    if replication_factor is not None and replication_factor < 1:
        raise InvalidTopicSpecError(
            "replication factor must be at least 1, or -1 / None for the broker default; "
            f"got {replication_factor}"
        )
    overrides = overrides or {}
    unknown = sorted(set(overrides) - set(TOPIC_SUFFIXES))
    if unknown:
        raise InvalidTopicSpecError(
            f"overrides for unknown topics {unknown}; known suffixes: {', '.join(TOPIC_SUFFIXES)}"
        )
    durable = replication_factor is not None and replication_factor >= 3
    specs = []
    for shape in _SHAPES:
        config = dict(shape.config)
        if durable and shape.irreplaceable:
            config["min.insync.replicas"] = "2"
        config.update(overrides.get(shape.suffix, {}))
        specs.append(
            TopicSpec(
                name=f"{pipeline}.{shape.suffix}",
                partitions=partitions if shape.keyed_events else 1,
                replication_factor=replication_factor,
                config=config,
            )
        )
    return specs
