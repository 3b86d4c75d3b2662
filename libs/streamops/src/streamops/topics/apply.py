"""Fix drift on existing topics: set declared configs, add missing partitions, then confirm.

Only what Kafka does in place: config keys are set one by one with an incremental alter
(keys we do not declare stay as they are), partitions are only ever added. Brokers apply
such changes asynchronously, so the fix is confirmed by reading the topics back.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from confluent_kafka import KafkaError

from streamops.topics._admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewPartitions,
    ResourceType,
    describe_error,
    wait_all,
)
from streamops.topics.errors import TopicAdminError
from streamops.topics.observe import find_drift, observe_topics
from streamops.topics.report import PARTITIONS, Drift
from streamops.topics.spec import TopicSpec

_CONFIRM_PAUSE_S = 0.2


def apply_drift(
    admin: AdminClient, specs: Sequence[TopicSpec], drifts: Sequence[Drift], *, timeout_s: float
) -> tuple[list[Drift], list[Drift]]:
    """Fix the fixable ``drifts`` of ``specs``; returns (fixed, accepted but not yet visible).

    Drift that is not fixable is ignored here. Raises `TopicAdminError` when the cluster
    refuses a change (the message lists what was fixed before).
    """
    accepted = _fix(admin, [d for d in drifts if d.fixable], timeout_s=timeout_s)
    if not accepted:
        return [], []
    return _confirm(admin, specs, accepted, timeout_s=timeout_s)


def _fix(admin: AdminClient, drifts: list[Drift], *, timeout_s: float) -> list[Drift]:
    """Apply fixable drift: set configs, add partitions. Returns the drift the cluster accepted."""
    config_drift: dict[str, list[Drift]] = defaultdict(list)
    partition_drift: list[Drift] = []
    for drift in drifts:
        if drift.key == PARTITIONS:
            partition_drift.append(drift)
        else:
            config_drift[drift.topic].append(drift)
    failures: list[str] = []
    fixed: list[Drift] = []
    if config_drift:
        resources = [
            ConfigResource(
                ResourceType.TOPIC,
                topic,
                incremental_configs=[
                    ConfigEntry(d.key, d.expected, incremental_operation=AlterConfigOpType.SET)
                    for d in topic_drifts
                ],
            )
            for topic, topic_drifts in config_drift.items()
        ]
        altered = admin.incremental_alter_configs(resources, request_timeout=timeout_s)
        for resource, outcome in wait_all(altered, timeout_s=timeout_s, what="alter").items():
            if isinstance(outcome, KafkaError):
                failures.append(f"{resource.name}: {describe_error(outcome)}")
            else:
                fixed.extend(config_drift[resource.name])
    if partition_drift:
        grown = admin.create_partitions(
            [NewPartitions(d.topic, int(d.expected)) for d in partition_drift],
            operation_timeout=timeout_s,
            request_timeout=timeout_s,
        )
        outcomes = wait_all(grown, timeout_s=timeout_s, what="add partitions")
        for drift in partition_drift:
            outcome = outcomes[drift.topic]
            if isinstance(outcome, KafkaError):
                failures.append(f"{drift.topic}: {describe_error(outcome)}")
            else:
                fixed.append(drift)
    if failures:
        raise TopicAdminError(
            "the cluster refused to fix drift (fixed so far: "
            f"{', '.join(d.describe_fix() for d in fixed) or 'nothing'}): " + "; ".join(failures)
        )
    return fixed


def _confirm(
    admin: AdminClient, specs: Sequence[TopicSpec], accepted: list[Drift], *, timeout_s: float
) -> tuple[list[Drift], list[Drift]]:
    """Wait until the brokers report the accepted fixes; (confirmed, still showing old values)."""
    by_name = {spec.name: spec for spec in specs}
    topics = sorted({d.topic for d in accepted})
    deadline = time.monotonic() + timeout_s
    while True:
        states = observe_topics(admin, topics, timeout_s=timeout_s)
        still = {(d.topic, d.key) for t in topics for d in find_drift(by_name[t], states[t])}
        pending = [d for d in accepted if (d.topic, d.key) in still]
        if not pending or time.monotonic() >= deadline:
            break
        time.sleep(_CONFIRM_PAUSE_S)
    confirmed = [d for d in accepted if d not in pending]
    note = f"the cluster accepted the change but did not show it within {timeout_s:g}s"
    return confirmed, [replace(d, note=note) for d in pending]
