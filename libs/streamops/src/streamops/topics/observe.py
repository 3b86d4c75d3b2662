"""Read what a cluster has for a set of topics and compare it with their declaration."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import cast

from confluent_kafka import KafkaError

from streamops.topics._admin import (
    AdminClient,
    ConfigEntry,
    ConfigResource,
    ResourceType,
    cluster_metadata,
    describe_error,
    wait_all,
)
from streamops.topics.errors import TopicAdminError
from streamops.topics.report import PARTITIONS, REPLICATION_FACTOR, Drift
from streamops.topics.spec import TopicSpec

_RETRY_PAUSE_S = 0.2
# Topic configs whose value is a comma-separated set: "compact,delete" == "delete,compact".
_LIST_CONFIGS = frozenset({"cleanup.policy"})


@dataclass(frozen=True)
class TopicState:
    """A topic as the cluster has it: partition count, replication factor, all configs."""

    name: str
    partitions: int
    replication_factor: int
    config: Mapping[str, str | None]


def observe_topics(
    admin: AdminClient, names: Iterable[str], *, timeout_s: float
) -> dict[str, TopicState]:
    """The current state of existing topics ``names``.

    Retries until every topic shows up with a leader and its configs, because a topic
    created a moment ago (possibly by another process) may not be visible on every broker
    yet.
    """
    pending = list(dict.fromkeys(names))
    found: dict[str, TopicState] = {}
    deadline = time.monotonic() + timeout_s
    while pending:
        metadata = cluster_metadata(admin, timeout_s=timeout_s)
        visible = {}
        for name in pending:
            topic = metadata.topics.get(name)
            if topic is not None and topic.error is None and topic.partitions:
                replicas = min(len(p.replicas) for p in topic.partitions.values())
                visible[name] = (len(topic.partitions), replicas)
        configs = _describe(admin, list(visible), timeout_s=timeout_s)
        for name, config in configs.items():
            partitions, replicas = visible[name]
            found[name] = TopicState(name, partitions, replicas, config)
        pending = [name for name in pending if name not in found]
        if pending and time.monotonic() >= deadline:
            raise TopicAdminError(
                f"topics {pending} exist but did not become readable (leader and configs) "
                f"within {timeout_s:g}s; check the broker logs"
            )
        if pending:
            time.sleep(_RETRY_PAUSE_S)
    return found


def _describe(
    admin: AdminClient, names: list[str], *, timeout_s: float
) -> dict[str, dict[str, str | None]]:
    """Configs of the topics that answer; topics the broker does not know yet are left out."""
    if not names:
        return {}
    resources = [ConfigResource(ResourceType.TOPIC, name) for name in names]
    futures = admin.describe_configs(resources, request_timeout=timeout_s)
    outcomes = wait_all(futures, timeout_s=timeout_s, what="describe topic configs")
    configs: dict[str, dict[str, str | None]] = {}
    for resource, outcome in outcomes.items():
        if isinstance(outcome, KafkaError):
            if outcome.code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
                continue  # not propagated yet; the caller retries
            raise TopicAdminError(
                f"cannot describe the configs of {resource.name}: {describe_error(outcome)}"
            )
        # The future's result is typed Any: librdkafka documents it as dict[name, ConfigEntry].
        entries = cast(dict[str, ConfigEntry], outcome)
        configs[resource.name] = {key: entry.value for key, entry in entries.items()}
    return configs


def _same(key: str, expected: str, actual: str | None) -> bool:
    if actual is None:
        return False
    if key in _LIST_CONFIGS:
        return {v.strip() for v in expected.split(",")} == {v.strip() for v in actual.split(",")}
    return expected == actual


def find_drift(spec: TopicSpec, state: TopicState) -> list[Drift]:
    """Every difference between a declared topic and the cluster's, for the declared keys only."""
    drifts = []
    if state.partitions != spec.partitions:
        note = (
            ""
            if state.partitions < spec.partitions
            else "Kafka cannot remove partitions; recreate the topic to shrink it"
        )
        drifts.append(
            Drift(spec.name, PARTITIONS, str(spec.partitions), str(state.partitions), note)
        )
    if spec.replication_factor is not None and state.replication_factor != spec.replication_factor:
        drifts.append(
            Drift(
                spec.name,
                REPLICATION_FACTOR,
                str(spec.replication_factor),
                str(state.replication_factor),
                "changing it needs a partition reassignment (kafka-reassign-partitions.sh)",
            )
        )
    for key, expected in spec.config.items():
        actual = state.config.get(key)
        if not _same(key, expected, actual):
            drifts.append(Drift(spec.name, key, expected, actual))
    return drifts
