"""`StageState`: the keyed state of a stage, per store and per assigned partition.

The transform reads and writes through `partition(store, n)`; the runtime drives the
rest: `assign` restores partitions from their changelogs before their first batch,
`revoke` drops them, `prepare_commit` turns a batch's writes (and expired keys) into
changelog records, `commit` applies them to the stores once the write phase has made them
durable, and `rollback` forgets them after an abort. State partition n belongs to input
partition n of every input topic (inputs are co-partitioned by key).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from confluent_kafka import Consumer
from prometheus_client import CollectorRegistry

from streamops.state.base import Change, PartitionStore, StateFullError
from streamops.state.changelog import ConsumerFactory, RestoreTarget, restore
from streamops.state.disk import DiskStore
from streamops.state.memory import MemoryStore
from streamops.state.metrics import StateMetrics
from streamops.state.partition import PartitionState
from streamops.state.records import ChangelogRecord, marker_record
from streamops.state.settings import StateSettings, StoreSpec
from streamops.topics import TopicSpec, changelog_topic


class StageState:
    """Declared stores of one stage; bound to the stage by the runtime when it starts."""

    def __init__(
        self,
        stores: Sequence[StoreSpec],
        settings: StateSettings | None = None,
        consumer_factory: ConsumerFactory = Consumer,
    ) -> None:
        names = [s.name for s in stores]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"a stage's stores need distinct names, got {names}")
        self.specs = {s.name: s for s in stores}
        self.settings = settings or StateSettings()
        self._consumer_factory = consumer_factory
        self._stage: str | None = None
        self._instance = "0"
        self._metrics: StateMetrics | None = None
        self._parts: dict[tuple[str, int], PartitionState] = {}
        self._prepared: dict[tuple[str, int], dict[bytes, Change]] = {}
        self._prepared_offsets: dict[int, dict[str, int]] = {}

    # -- the transform's side ----------------------------------------------------------

    def partition(self, store: str, partition: int) -> PartitionState:
        """Store ``store``'s partition ``partition``, which must be assigned to this replica."""
        try:
            return self._parts[(store, partition)]
        except KeyError:
            if store not in self.specs:
                raise KeyError(f"no store {store!r}; declared: {sorted(self.specs)}") from None
            raise KeyError(
                f"partition {partition} of store {store!r} is not assigned to this replica "
                f"(assigned: {sorted(self.assigned)})"
            ) from None

    @property
    def dirty(self) -> bool:
        """Some partition has buffered writes."""
        return any(part.dirty for part in self._parts.values())

    @property
    def assigned(self) -> frozenset[int]:
        """The state partitions this replica holds now."""
        return frozenset(p for _, p in self._parts)

    # -- the runtime's side ------------------------------------------------------------

    def bind(self, stage: str, registry: CollectorRegistry, instance_id: str = "0") -> None:
        """Attach to replica ``instance_id`` of ``stage`` (names changelogs and directories)."""
        self._stage = stage
        self._instance = instance_id
        self._metrics = StateMetrics(stage, registry)

    def changelog_topics(self, partitions: int) -> list[TopicSpec]:
        """The changelog topic of every store, with one partition per input partition."""
        return [changelog_topic(self._bound(), name, partitions) for name in self.specs]

    def changelog(self, store: str) -> str:
        return changelog_topic(self._bound(), store, 1).name

    def assign(
        self,
        partitions: Iterable[int],
        consumer_config: dict[str, Any],
        on_progress: Callable[[], None] | None = None,
    ) -> float:
        """Create and restore the new partitions; returns the seconds the restore took.

        ``on_progress`` is called now and then while the restore reads (a liveness beat).
        """
        targets = []
        for p in sorted(set(partitions) - self.assigned):
            for name, spec in self.specs.items():
                store = self._new_store(name, p, with_ttl=spec.ttl_ms is not None)
                self._parts[(name, p)] = PartitionState(name, p, store)
                targets.append(RestoreTarget(name, self.changelog(name), p, store))
        seconds = restore(
            consumer_config,
            targets,
            self.settings.restore_batch_records,
            self._consumer_factory,
            on_progress,
        )
        m = self._bound_metrics()
        for t in targets:
            self._parts[(t.store_name, t.partition)].restored(t.watermark_ms)
            m.restored_records.labels(m.stage, t.store_name).inc(t.records)
        if targets:
            m.restore_seconds.observe(seconds)
        self._update_gauges()
        return seconds

    def revoke(self, partitions: Iterable[int]) -> None:
        """Drop the partitions (their new owner restores them from the changelog)."""
        gone = set(partitions)
        for key in [k for k in self._parts if k[1] in gone]:
            self._parts.pop(key).store.close()
        self._update_gauges()

    def applied_offsets(self, partition: int) -> dict[str, int]:
        """Per input topic, the next offset the partition's state has not seen (all stores)."""
        merged: dict[str, int] = {}
        for (_, p), part in self._parts.items():
            if p == partition:
                for topic, offset in part.store.offsets().items():
                    merged[topic] = max(offset, merged.get(topic, offset))
        return merged

    def begin(self) -> None:
        """Forget anything buffered: the batch starts (or starts again) from committed state."""
        self.rollback()

    def savepoint(self) -> None:
        for part in self._parts.values():
            part.savepoint()

    def rollback_to_savepoint(self) -> None:
        for part in self._parts.values():
            part.rollback_to_savepoint()

    def prepare_commit(self, offsets: Mapping[tuple[str, int], int]) -> list[ChangelogRecord]:
        """Changelog records of the batch: its writes, expired keys, and offset markers.

        ``offsets`` maps (input topic, partition) to the next offset after the batch.
        Raises `StateFullError` when a memory store would pass its bound.
        """
        by_partition: dict[int, dict[str, int]] = {}
        for (topic, p), offset in offsets.items():
            by_partition.setdefault(p, {})[topic] = offset
        self._expire()
        self._check_memory()
        records: list[ChangelogRecord] = []
        self._prepared, self._prepared_offsets = {}, by_partition
        m = self._bound_metrics()
        for (name, p), part in self._parts.items():
            if not part.dirty and p not in by_partition:
                continue
            topic = self.changelog(name)
            changes, written, size = part.changelog(topic)
            self._prepared[(name, p)] = changes
            records += written
            offsets_after = {**part.store.offsets(), **by_partition.get(p, {})}
            marker = marker_record(topic, p, offsets_after, part.watermark_ms)
            records.append(marker)
            size += len(marker.key) + len(marker.value or b"")
            m.changelog_records.labels(m.stage, name).inc(len(written) + 1)
            m.changelog_bytes.labels(m.stage, name).inc(size)
        return records

    def commit(self) -> None:
        """The batch is durable: apply its writes to the stores."""
        for (name, p), changes in self._prepared.items():
            part = self._parts.get((name, p))
            if part is not None:
                part.store.write(changes, self._prepared_offsets.get(p, {}))
        for part in self._parts.values():
            part.clear(committed=True)
        self._prepared, self._prepared_offsets = {}, {}
        self._update_gauges()

    def rollback(self) -> None:
        """The batch did not happen: drop every buffered write."""
        for part in self._parts.values():
            part.clear(committed=False)
        self._prepared, self._prepared_offsets = {}, {}

    def close(self) -> None:
        self.revoke(self.assigned)

    # -- inside ------------------------------------------------------------------------

    def _new_store(self, name: str, partition: int, with_ttl: bool) -> PartitionStore:
        if self.settings.backend == "disk":
            path = self.settings.dir / self._bound() / self._instance / name / str(partition)
            return DiskStore(path, self.settings, with_ttl)
        return MemoryStore(with_ttl)

    def _expire(self) -> None:
        m = self._bound_metrics()
        limit = self.settings.expire_per_batch
        for (name, _), part in self._parts.items():
            ttl = self.specs[name].ttl_ms
            if ttl is None or part.watermark_ms is None:
                continue
            written = set(part.written_keys())
            expired = [
                k for k in part.store.expired(part.watermark_ms - ttl, limit) if k not in written
            ]
            for key in expired:
                part.delete(key)
            if expired:
                m.expired.labels(m.stage, name).inc(len(expired))

    def _check_memory(self) -> None:
        if self.settings.backend != "memory":
            return
        for name in self.specs:
            parts = [part for (n, _), part in self._parts.items() if n == name]
            held = sum(part.store.count() for part in parts)
            if held + sum(part.written_count for part in parts) <= self.settings.memory_max_keys:
                continue  # even if every write were a new key (the usual case: cheap to tell)
            new = sum(part.store.new_keys(part.set_keys()) for part in parts)
            if held + new > self.settings.memory_max_keys:
                raise StateFullError(
                    f"store {name!r} of stage {self._stage} would hold {held + new:,} keys, "
                    f"more than STREAMOPS_STATE_MEMORY_MAX_KEYS={self.settings.memory_max_keys:,};"
                    " set STREAMOPS_STATE_BACKEND=disk for state larger than memory, or raise "
                    "the bound"
                )

    def _update_gauges(self) -> None:
        if self._metrics is None:
            return
        m = self._metrics
        for name in self.specs:
            parts = [part for (n, _), part in self._parts.items() if n == name]
            m.keys.labels(m.stage, name).set(sum(p.store.count() for p in parts))
            m.bytes.labels(m.stage, name).set(sum(p.store.size_bytes() for p in parts))

    def _bound(self) -> str:
        if self._stage is None:
            raise RuntimeError("StageState is not bound to a stage yet (Stage.run binds it)")
        return self._stage

    def _bound_metrics(self) -> StateMetrics:
        if self._metrics is None:
            raise RuntimeError("StageState is not bound to a stage yet (Stage.run binds it)")
        return self._metrics
