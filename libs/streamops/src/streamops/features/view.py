"""The online view: every entity's window state, rebuilt from the features service's
changelog, and the feature vector of an event the service has not seen yet.

Serving holds one (ARCHITECTURE "Features with no skew"): it reads the compacted changelog
``{stage}.windows.changelog`` ``read_committed`` (whole batches of the service, nothing of
an aborted one), keeps each entity's stored rows and each partition's watermark (from the
offsets markers), and computes vectors with the service's own `WindowComputer`, without
changing the state. The features topic could not serve here: it holds aggregates, from
which min, max or distinct of a sliding window cannot be rebuilt.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, TopicPartition
from prometheus_client import CollectorRegistry, Counter, Gauge

from streamops.features.compute import Rows, WindowComputer, event_time_ms, new_rows
from streamops.features.definition import FeatureSet
from streamops.features.engine import STORE
from streamops.features.running import RunningWindows
from streamops.settings import KafkaSettings
from streamops.state.records import DATA_PREFIX, MARKER_KEY, decode_entry, read_marker
from streamops.topics import TopicNames, changelog_topic

log = logging.getLogger(__name__)
#: Entities kept decoded at most (then the cache starts again); the stored bytes stay.
_DECODED_MAX = 20_000
ConsumerFactory = Callable[[dict[str, Any]], Consumer]


@dataclass(frozen=True)
class FeatureVector:
    """The features of one event as the service would compute them on its arrival now."""

    names: list[str]
    values: list[Any]
    late: bool
    partition: int
    watermark_ms: int | None

    def as_dict(self) -> dict[str, Any]:
        return dict(zip(self.names, self.values, strict=True))


class OnlineView:
    """Entity state of one pipeline's features stage, following its changelog."""

    def __init__(
        self,
        features: FeatureSet,
        kafka: KafkaSettings,
        *,
        stage: str | None = None,
        registry: CollectorRegistry | None = None,
        consumer_factory: ConsumerFactory = Consumer,
    ) -> None:
        self.features = features
        self.computer = WindowComputer(features)
        self.stage = stage or TopicNames(features.pipeline).stage("features")
        self.topic = changelog_topic(self.stage, STORE, 1).name
        self._kafka = kafka
        self._consumer_factory = consumer_factory
        #: entity key -> (state partition, stored bytes); decoded only when asked about
        self._entities: dict[str, tuple[int, bytes]] = {}
        #: entity key -> (the stored bytes it was decoded from, its rows, their running
        #: aggregates): an entity asked about again is not decoded again (a busy one's day of
        #: rows costs ~0.5 ms) and its long windows are not summed again
        self._decoded: dict[str, tuple[bytes, Rows, RunningWindows]] = {}
        self._asking = threading.Lock()  # compute() moves rows about, then puts them back
        self._watermarks: dict[int, int | None] = {}
        self._at_end: dict[int, bool] = {}
        self._last_applied_s: float | None = None  # Kafka timestamp of the newest record
        self._caught_up = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._consumer: Consumer | None = None
        registry = registry if registry is not None else CollectorRegistry()
        self._staleness = Gauge(
            "streamops_features_view_staleness_seconds",
            "Age of the newest changelog record applied while the view is behind the "
            "features service; 0 when it has read everything committed.",
            ["pipeline"],
            registry=registry,
        ).labels(features.pipeline)
        self._applied = Counter(
            "streamops_features_view_records_total",
            "Changelog records applied to the online view.",
            ["pipeline"],
            registry=registry,
        ).labels(features.pipeline)

    # -- following the changelog ------------------------------------------------------

    def start(self) -> None:
        """Read the changelog from the beginning, then keep following it in a thread."""
        consumer = self._consumer = self._consumer_factory(
            {
                **self._kafka.client_config(),
                "group.id": f"{self.stage}.view",
                "enable.auto.commit": False,
                "enable.partition.eof": True,
                "isolation.level": "read_committed",
                "fetch.max.bytes": 64 * 1024 * 1024,
            }
        )
        metadata = consumer.list_topics(self.topic, timeout=30)
        found = metadata.topics.get(self.topic)
        if found is None or found.error is not None or not found.partitions:
            consumer.close()
            raise LookupError(
                f"changelog {self.topic} does not exist: is the features service of "
                f"{self.features.pipeline} running (stage {self.stage})?"
            )
        partitions = sorted(found.partitions)
        self.begin(partitions)
        consumer.assign([TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in partitions])
        self._thread = threading.Thread(target=self._follow, name="online-view", daemon=True)
        self._thread.start()

    def begin(self, partitions: list[int]) -> None:
        """Start empty, expecting the changelog's ``partitions`` (`start` calls it; a test
        feeding `apply` by hand calls it first)."""
        self._entities.clear()
        self._decoded.clear()
        self._watermarks = dict.fromkeys(partitions)
        self._at_end = dict.fromkeys(partitions, False)
        self._caught_up.clear()

    def wait_caught_up(self, timeout_s: float) -> bool:
        """Whether the view has read every partition to its end at least once."""
        return self._caught_up.wait(timeout_s)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None

    def _follow(self) -> None:
        assert self._consumer is not None
        consume = self._consumer.consume
        while not self._stop.is_set():
            for message in consume(2000, 0.2):
                self.apply(message)
            self._update_staleness()

    def apply(self, message: Message) -> None:
        """Take one changelog message (or partition-EOF event) into the view."""
        err = message.error()
        partition = message.partition() or 0
        if err is not None:
            if err.code() == KafkaError._PARTITION_EOF:
                self._at_end[partition] = True
                if all(self._at_end.values()):
                    self._caught_up.set()
            else:
                log.warning("online view of %s: %s", self.topic, err)
            return
        self._at_end[partition] = False
        key, value = message.key() or b"", message.value()
        if key == MARKER_KEY:
            if value is not None:
                self._watermarks[partition] = read_marker(value)[1]
        elif key.startswith(DATA_PREFIX):
            entity = key[len(DATA_PREFIX) :].decode()
            if value is None:
                self._entities.pop(entity, None)
            else:
                self._entities[entity] = (partition, value)
        _, stamp = message.timestamp()
        self._last_applied_s = stamp / 1000 if stamp > 0 else self._last_applied_s
        self._applied.inc()

    def _update_staleness(self) -> None:
        if all(self._at_end.values()) or self._last_applied_s is None:
            self._staleness.set(0)
        else:
            self._staleness.set(max(0.0, time.time() - self._last_applied_s))

    # -- asking ------------------------------------------------------------------------

    def vector(self, event: Mapping[str, Any]) -> FeatureVector:
        """The features of ``event`` (a decoded event of the pipeline) against the current
        state, as the service would compute them if it arrived now; the state is unchanged."""
        fs = self.features
        key = event.get(fs.key_field)
        if not isinstance(key, str):
            raise ValueError(f"the event has no {fs.key_field} (its entity key)")
        try:
            time_ms = event_time_ms(event.get(fs.time_field))
        except TypeError as exc:
            raise ValueError(f"the event's {fs.time_field}: {exc}") from exc
        values = [event.get(f) for f in fs.fields]
        passthrough = [event.get(f) for f in fs.spec.passthrough]
        with self._asking:
            found = self._entities.get(key)
            if found is None:
                partition, rows = self.partition_of(key), new_rows(len(fs.fields))
                running = None
            else:
                partition = found[0]
                rows, running = self._rows_of(key, found[1])
            watermark = self._watermarks.get(partition)
            vector, late = self.computer.compute(
                rows, time_ms, values, watermark, False, running, passthrough
            )
        return FeatureVector(fs.names, vector, late, partition, watermark)

    def _rows_of(self, key: str, stored: bytes) -> tuple[Rows, RunningWindows]:
        """The decoded rows of ``stored`` and their running aggregates, from the cache while
        the entity is unchanged."""
        cached = self._decoded.get(key)
        if cached is not None and cached[0] is stored:
            return cached[1], cached[2]
        if len(self._decoded) >= _DECODED_MAX:
            self._decoded.clear()
        rows: Rows = decode_entry(stored)[1]
        running = self.computer.running()
        self._decoded[key] = (stored, rows, running)
        return rows, running

    def rows(self, key: str) -> Rows | None:
        """The stored rows of one entity, or None when the view holds none."""
        found = self._entities.get(key)
        return None if found is None else decode_entry(found[1])[1]

    def watermark_ms(self, partition: int) -> int | None:
        """The newest event time of ``partition`` that the view has read (None: no event)."""
        return self._watermarks.get(partition)

    def partition_of(self, key: str) -> int:
        """The state partition of an entity: where the view found it, else where librdkafka's
        default partitioner (CRC32 of the key, used by every streamops producer) puts it."""
        found = self._entities.get(key)
        if found is not None:
            return found[0]
        return zlib.crc32(key.encode()) % (len(self._watermarks) or 1)

    @property
    def entities(self) -> int:
        return len(self._entities)
