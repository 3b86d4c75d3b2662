"""`ensure_topics`: create missing topics, report (and optionally fix) drift on existing ones.

Idempotent and read-only for existing topics by default: nothing that exists is changed
unless ``apply=True``. Applying is deliberate because it has consequences: a shorter
``retention.ms`` or a switch to ``compact`` deletes records, and added partitions send
existing keys to other partitions (per-key order and windows break across the change).
Even then only what Kafka can do in place is done (set the declared config keys, add
partitions); partitions are never removed and replication factors never changed, so
such drift stays in the report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from confluent_kafka import KafkaError

from streamops.topics._admin import (
    AdminClient,
    NewTopic,
    cluster_metadata,
    describe_error,
    wait_all,
)
from streamops.topics.apply import apply_drift
from streamops.topics.errors import InvalidTopicSpecError, ReplicationFactorError, TopicAdminError
from streamops.topics.observe import find_drift, observe_topics
from streamops.topics.report import Drift, EnsureReport
from streamops.topics.spec import TopicSpec


def ensure_topics(
    admin: AdminClient,
    specs: Iterable[TopicSpec],
    *,
    apply: bool = False,
    timeout_s: float = 30.0,
) -> EnsureReport:
    """Make the declared topics exist and report how existing ones differ from the declaration.

    Missing topics are created with their partitions, replication factor and configs, and
    read back until the cluster shows them. A topic created concurrently by someone else
    counts as existing and is compared.
    Existing topics are compared on partition count, replication factor (when declared)
    and the config keys the spec sets, nothing else. With ``apply=True`` differing configs
    are set (incremental alter, other keys untouched) and missing partitions added.
    ``timeout_s`` bounds each request to the cluster.

    Raises `ReplicationFactorError` when the cluster has too few brokers for the declared
    replication factor, `TopicAdminError` when the cluster refuses or does not answer.
    """
    specs = list(specs)
    duplicates = sorted(name for name, n in Counter(s.name for s in specs).items() if n > 1)
    if duplicates:
        raise InvalidTopicSpecError(f"topics declared more than once: {duplicates}")
    metadata = cluster_metadata(admin, timeout_s=timeout_s)
    missing = [s for s in specs if s.name not in metadata.topics]
    created = _create(admin, missing, broker_count=len(metadata.brokers), timeout_s=timeout_s)
    existing = [s for s in specs if s.name not in created]
    # Created topics are read back too: the create call returns once the controller has
    # them, before every broker does, and callers expect to use the topics right away.
    states = observe_topics(admin, [s.name for s in specs], timeout_s=timeout_s)
    drifts = [d for s in specs for d in find_drift(s, states[s.name])]
    fixed: list[Drift] = []
    if apply:
        fixed, unconfirmed = apply_drift(admin, specs, drifts, timeout_s=timeout_s)
        handled = {(d.topic, d.key) for d in fixed + unconfirmed}
        drifts = [d for d in drifts if (d.topic, d.key) not in handled] + unconfirmed
    drifted_topics = {d.topic for d in drifts} | {d.topic for d in fixed}
    return EnsureReport(
        created=tuple(s.name for s in specs if s.name in created),
        unchanged=tuple(s.name for s in existing if s.name not in drifted_topics),
        fixed=tuple(fixed),
        drifted=tuple(drifts),
    )


def _create(
    admin: AdminClient, specs: list[TopicSpec], *, broker_count: int, timeout_s: float
) -> set[str]:
    """Create ``specs``; the names actually created (those that already existed are left out)."""
    if not specs:
        return set()
    new_topics = [
        NewTopic(
            s.name,
            num_partitions=s.partitions,
            replication_factor=-1 if s.replication_factor is None else s.replication_factor,
            config=dict(s.config),
        )
        for s in specs
    ]
    futures = admin.create_topics(
        new_topics, operation_timeout=timeout_s, request_timeout=timeout_s
    )
    outcomes = wait_all(futures, timeout_s=timeout_s, what="create topics")
    created, too_few_brokers, refused = set(), [], []
    for name, outcome in outcomes.items():
        if not isinstance(outcome, KafkaError):
            created.add(name)
        elif outcome.code() == KafkaError.TOPIC_ALREADY_EXISTS:
            pass  # another process won the race: compared like any existing topic
        elif outcome.code() == KafkaError.INVALID_REPLICATION_FACTOR:
            too_few_brokers.append(name)
        else:
            refused.append(f"{name}: {describe_error(outcome)}")
    if too_few_brokers:
        factor = next(s.replication_factor for s in specs if s.name == too_few_brokers[0])
        raise ReplicationFactorError(
            f"cannot create {', '.join(sorted(too_few_brokers))} with replication factor "
            f"{factor}: the cluster has {broker_count} broker(s) and each replica needs its "
            f"own broker. Pass a replication factor of at most {broker_count} "
            "(--replication-factor), or none to use the broker's default.replication.factor."
        )
    if refused:
        done = f" (created: {', '.join(sorted(created))})" if created else ""
        raise TopicAdminError("the cluster refused to create topics: " + "; ".join(refused) + done)
    return created
