"""Offsets from the cluster: each topic's watermarks and each consumer group's lag.

Admin requests only (list offsets, list groups, a group's committed offsets): looking
joins no group and moves no offset, so a status view never disturbs the services.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaError, TopicPartition

# confluent_kafka.admin has no __all__ (see streamops.topics._admin): OffsetSpec is public
from confluent_kafka.admin import OffsetSpec  # type: ignore[attr-defined]

from streamops.status.errors import StatusError
from streamops.status.snapshot import GroupOffsets, TopicOffsets
from streamops.topics import leaders
from streamops.topics._admin import AdminClient, cluster_metadata, describe_error, wait_all
from streamops.topics.errors import TopicAdminError

Partition = tuple[str, int]
K = TypeVar("K")
_EARLIEST: OffsetSpec = OffsetSpec.earliest()  # type: ignore[no-untyped-call]
_LATEST: OffsetSpec = OffsetSpec.latest()  # type: ignore[no-untyped-call]


class ClusterOffsets:
    """Reads watermarks and committed offsets through one admin client."""

    def __init__(self, admin: AdminClient, *, timeout_s: float) -> None:
        self._admin = admin
        self._timeout_s = timeout_s

    def topics(self, topics: Sequence[str]) -> dict[str, TopicOffsets | None]:
        """Each topic's records and writes summed over its partitions; None for a topic
        that does not exist. StatusError when the cluster does not answer."""
        try:
            metadata = cluster_metadata(self._admin, timeout_s=self._timeout_s)
        except TopicAdminError as exc:
            raise StatusError(str(exc)) from exc
        partitions: dict[str, list[Partition]] = {}
        for topic in topics:
            found = metadata.topics.get(topic)
            if found is not None and found.error is None and found.partitions:
                partitions[topic] = [(topic, p) for p in sorted(found.partitions)]
        every = [tp for tps in partitions.values() for tp in tps]
        low = self._offsets(every, _EARLIEST)
        high = self._offsets(every, _LATEST)
        result: dict[str, TopicOffsets | None] = dict.fromkeys(topics)
        for topic, tps in partitions.items():
            written = sum(high[tp] for tp in tps)
            result[topic] = TopicOffsets(written - sum(low[tp] for tp in tps), written)
        return result

    def groups(self, groups: Iterable[str]) -> dict[str, GroupOffsets | None]:
        """Each group's state and lag over the partitions it committed offsets for; None
        for a group the cluster does not know."""
        states = self._group_states()
        committed = {g: self._committed(g) for g in groups if g in states}
        ends = self._offsets(
            sorted({tp for offsets in committed.values() for tp in offsets}), _LATEST
        )
        result: dict[str, GroupOffsets | None] = {}
        for group in groups:
            if group not in committed:
                result[group] = None
                continue
            offsets = committed[group]
            lag = sum(max(ends[tp] - offset, 0) for tp, offset in offsets.items())
            result[group] = GroupOffsets(states[group], lag if offsets else None)
        return result

    def _group_states(self) -> dict[str, str]:
        future = self._admin.list_consumer_groups(request_timeout=self._timeout_s)
        outcome = self._wait({"groups": future}, "list the consumer groups")["groups"]
        if isinstance(outcome, KafkaError):
            raise StatusError(f"cannot list the consumer groups: {describe_error(outcome)}")
        return {
            g.group_id: g.state.name if g.state is not None else "UNKNOWN" for g in outcome.valid
        }

    def _committed(self, group: str) -> dict[Partition, int]:
        futures = self._admin.list_consumer_group_offsets(
            [ConsumerGroupTopicPartitions(group)], request_timeout=self._timeout_s
        )
        outcome = self._wait(futures, f"read the offsets of group {group}")[group]
        if isinstance(outcome, KafkaError):
            if outcome.code() == KafkaError.GROUP_ID_NOT_FOUND:  # gone since it was listed
                return {}
            raise StatusError(f"cannot read the offsets of {group}: {describe_error(outcome)}")
        return {
            (str(tp.topic), int(tp.partition)): int(tp.offset)
            for tp in outcome.topic_partitions
            if tp.error is None and tp.offset >= 0
        }

    def _offsets(self, partitions: Sequence[Partition], spec: OffsetSpec) -> dict[Partition, int]:
        found: dict[Partition, int] = {}
        left = list(partitions)
        # a leader moving (a new topic, a broker restarting) is retried for the request's
        # timeout: on a busy machine a topic just made can answer NOT_LEADER for seconds
        deadline = time.monotonic() + self._timeout_s
        while left:
            futures = self._admin.list_offsets(
                {TopicPartition(t, p): spec for t, p in left}, request_timeout=self._timeout_s
            )
            failed: list[tuple[TopicPartition, KafkaError]] = []
            for tp, outcome in self._wait(futures, "list offsets").items():
                if isinstance(outcome, KafkaError):
                    failed.append((tp, outcome))
                else:
                    found[(str(tp.topic), int(tp.partition))] = int(outcome.offset)
            retry = all(leaders.leader_moving(e) for _, e in failed) and time.monotonic() < deadline
            if failed and not retry:
                tp, error = failed[0]
                raise StatusError(
                    f"cannot read the offsets of {tp.topic}[{tp.partition}]: "
                    f"{describe_error(error)}"
                )
            left = [(str(tp.topic), int(tp.partition)) for tp, _ in failed]
            if left:
                time.sleep(leaders.RETRY_S)
        return found

    def _wait(self, futures: Mapping[K, Future[Any]], what: str) -> dict[K, Any]:
        try:
            return wait_all(futures, timeout_s=self._timeout_s, what=what)
        except TopicAdminError as exc:
            raise StatusError(str(exc)) from exc
