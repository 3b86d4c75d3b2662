"""What a stage with state adds to the loop: changelog topics and restores on assignment
(the write phase that commits the state with each batch is `phases.WithState`).

The loop itself stays in `stage.py`; this module sets up the changelogs at start-up and
reacts to rebalances. Rebalance callbacks run inside ``consume`` between two batches, so
a restore never races a batch of the same partitions.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from streamops.runtime.clients import restore_consumer_config
from streamops.runtime.metrics import StageMetrics
from streamops.runtime.settings import StreamSettings
from streamops.settings import KafkaSettings
from streamops.state import StageState
from streamops.topics import TopicError, ensure_topics

log = logging.getLogger(__name__)


class StopRequested(Exception):
    """The stage was asked to stop inside a rebalance callback (raised out of ``consume``)."""


#: the group's committed offsets are asked for in calls of at most this long, so that a
#: stage waiting on them still answers SIGTERM and says that it waits
_OFFSETS_CALL_S = 5.0
#: between two reads of a changelog whose state is behind the group's offsets
_CATCH_UP_PAUSE_S = 0.5


def prepare_state(
    state: StageState,
    stage: str,
    inputs: list[str],
    kafka: KafkaSettings,
    metrics: StageMetrics,
    settings: StreamSettings,
) -> None:
    """Bind the state to ``stage`` and create its changelog topics if missing.

    Changelogs get as many partitions as the widest input: state partition n is the state
    of input partition n.
    """
    timeout_s = settings.operation_timeout_s
    state.bind(stage, metrics.registry, settings.instance_id)
    admin = AdminClient(kafka.client_config())
    metadata = admin.list_topics(timeout=timeout_s)
    missing = [t for t in inputs if t not in metadata.topics]
    if missing:
        raise TopicError(f"stage {stage}: input topics {missing} do not exist; create them first")
    counts = {t: len(metadata.topics[t].partitions) for t in inputs}
    partitions = max(counts.values())
    # The range assignor gives partition n of every topic to the same member only when the
    # topics have the same number of partitions (a one-partition topic goes with partition 0).
    uneven = {t: n for t, n in counts.items() if n not in (1, partitions)}
    if uneven:
        raise TopicError(
            f"stage {stage}: a stage with state needs co-partitioned inputs (the same number of "
            f"partitions, or one), but has {counts}: repartition {sorted(uneven)} to "
            f"{partitions} partitions"
        )
    report = ensure_topics(admin, state.changelog_topics(partitions), timeout_s=timeout_s)
    if not report.ok:
        log.warning("stage %s: changelog topics differ:\n%s", stage, report.render())


class Rebalance:
    """The consumer's rebalance callbacks: restore assigned partitions, drop revoked ones."""

    def __init__(
        self,
        stage: str,
        state: StageState,
        kafka: KafkaSettings,
        settings: StreamSettings,
        on_progress: Callable[[], None],
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.stage = stage
        self.state = state
        self.restore_config = restore_consumer_config(stage, kafka)
        #: called while a restore runs: the stage is alive, though its loop is not turning
        self.on_progress = on_progress
        #: the stage is stopping (SIGTERM): stop waiting for the group's offsets
        self.stopping = stopping
        # a previous owner's open transaction holds the offsets back until it ends
        self.committed_timeout_s = settings.transaction_timeout_s + 10
        #: a restore is under way (the stage is not ready meanwhile)
        self.restoring = False
        self._assigned = False  # the group gave this replica its (possibly empty) share once

    @property
    def settled(self) -> bool:
        """In the group with its partitions restored: ready to process."""
        return self._assigned and not self.restoring

    def subscribe(self, consumer: Consumer, inputs: list[str]) -> None:
        """Subscribe ``consumer`` to ``inputs`` with these callbacks."""
        consumer.subscribe(
            inputs, on_assign=self.on_assign, on_revoke=self.on_revoke, on_lost=self.on_revoke
        )

    def on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        numbers = {tp.partition for tp in partitions}
        # The group's offsets first: a read_committed consumer gets them only once the
        # previous owner's open transaction is over, so the changelog read after them
        # holds everything that transaction committed.
        committed = self._committed(consumer, partitions)
        seconds = self._restore(numbers)
        seconds += self._catch_up(consumer, committed)
        self._assigned = True
        log.info(
            "stage %s: assigned partitions %s, state restored in %.2f s",
            self.stage,
            sorted(numbers),
            seconds,
        )
        self._resume_after_applied(committed, partitions)
        consumer.assign(partitions)

    def _restore(self, numbers: set[int]) -> float:
        self.restoring = True
        try:
            return self.state.assign(numbers, self.restore_config, self.on_progress)
        finally:
            self.restoring = False

    def _catch_up(self, consumer: Consumer, group: list[TopicPartition]) -> float:
        """Read again the changelog of partitions whose state is behind the group's
        offsets, until it is not; returns the seconds the reads took.

        A transaction commits once its coordinator has logged the decision; the markers
        that make its records readable reach each partition after that, one by one. So
        the group's offsets (read stable) can already count a batch whose changelog
        records a ``read_committed`` restore does not see yet: seen after a broker restart,
        where resuming at the state's offsets redid that batch and wrote its outputs twice.
        Past ``committed_timeout_s`` the group's offsets were moved by hand, not by a
        transaction: the state decides (`_resume_after_applied`).
        """
        until = time.monotonic() + self.committed_timeout_s
        seconds = 0.0
        while behind := self._behind(group):
            if time.monotonic() >= until:
                log.error(
                    "stage %s: the state of partitions %s still lacks records the group's "
                    "offsets count, %.0f s on: were the group's offsets moved by hand?",
                    self.stage,
                    sorted(behind),
                    self.committed_timeout_s,
                )
                return seconds
            if self.stopping():
                consumer.assign([])  # as in `_committed`: take none
                raise StopRequested("stopping while the state caught up with the group")
            log.warning(
                "stage %s: the state of partitions %s is behind the group's offsets (a "
                "transaction's commit markers have not reached the changelog yet): reading "
                "it again",
                self.stage,
                sorted(behind),
            )
            time.sleep(_CATCH_UP_PAUSE_S)
            self.state.revoke(behind)
            seconds += self._restore(behind)
        return seconds

    def _behind(self, group: list[TopicPartition]) -> set[int]:
        """State partitions whose applied offset of some input is below the group's."""
        behind = set()
        for tp in group:
            applied = self.state.applied_offsets(tp.partition).get(tp.topic)
            if applied is not None and applied < tp.offset:
                behind.add(tp.partition)
        return behind

    def _committed(
        self, consumer: Consumer, partitions: list[TopicPartition]
    ) -> list[TopicPartition]:
        """The group's committed offsets of ``partitions``, waited for at most
        ``committed_timeout_s``; `StopRequested` if the stage is stopping meanwhile."""
        until = time.monotonic() + self.committed_timeout_s
        while True:
            left = until - time.monotonic()
            try:
                return consumer.committed(partitions, timeout=max(min(_OFFSETS_CALL_S, left), 0.1))
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError._TIMED_OUT or left <= _OFFSETS_CALL_S:
                    raise
            if self.stopping():
                # take none: returning without an assignment would have the client assign
                # them all itself, their state not restored
                consumer.assign([])
                raise StopRequested("stopping while waiting for the group's offsets")
            log.warning(
                "stage %s: still waiting for the group's committed offsets of partitions %s "
                "(an open transaction of their previous owner holds them back until it ends; "
                "%.0f s more at most)",
                self.stage,
                sorted({tp.partition for tp in partitions}),
                max(until - time.monotonic(), 0),
            )

    def on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self.state.revoke({tp.partition for tp in partitions})

    def _resume_after_applied(
        self, group: list[TopicPartition], partitions: list[TopicPartition]
    ) -> None:
        """Start each partition where its state says, so no record is applied twice.

        The state's offsets and the group's move in one transaction, so they agree; if
        the group's were lost or reset, the state's are the truth for this stage.
        """
        committed = {(tp.topic, tp.partition): tp.offset for tp in group}
        for tp in partitions:
            applied = self.state.applied_offsets(tp.partition).get(tp.topic)
            if applied is None:
                continue
            group_offset = committed.get((tp.topic, tp.partition), -1)
            if group_offset >= 0 and group_offset != applied:
                log.warning(
                    "stage %s: %s[%d] committed offset %d, but the state has applied up to %d; "
                    "resuming at %d",
                    self.stage,
                    tp.topic,
                    tp.partition,
                    group_offset,
                    applied,
                    applied,
                )
            tp.offset = applied
