"""A consume-transform-produce stage: micro-batches in, Avro outputs and dead letters out.

One batch at a time: decode, transform, encode (all in memory, nothing written yet), then
the write phase makes outputs durable and commits the offsets (at-least-once), or does
both in one transaction (exactly-once). Because a batch is finished before the next
``consume`` call, and rebalance callbacks only run inside that call, a rebalance never
sees a half-done batch.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from prometheus_client import CollectorRegistry

from streamops.contracts import load_schema
from streamops.runtime.batch import BatchPreparer, batch_offsets, rewind, tune_garbage_collector
from streamops.runtime.clients import consumer_config, fatal_error, producer_config
from streamops.runtime.guarantees import WritePhase
from streamops.runtime.health import HealthServer
from streamops.runtime.metrics import StageMetrics
from streamops.runtime.phases import write_phase
from streamops.runtime.records import (
    BatchResult,
    OutRecord,
    Transform,
)
from streamops.runtime.settings import StreamSettings
from streamops.runtime.stateful import Rebalance, StopRequested, prepare_state
from streamops.serde import (
    AvroDecoder,
    AvroEncoder,
    RegistryUnavailable,
    value_subject,
)
from streamops.service.retry import Backoff, retry_while_unavailable
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.state import StageState

log = logging.getLogger(__name__)
T = TypeVar("T")


class Stage:
    """One consume-transform-produce stage; ``run()`` blocks until SIGTERM or ``stop()``."""

    def __init__(
        self,
        name: str,
        *,
        inputs: Sequence[str],
        outputs: Mapping[str, Mapping[str, Any]],
        transform: Transform,
        dlq_topic: str,
        kafka: KafkaSettings | None = None,
        registry: SchemaRegistrySettings | None = None,
        settings: StreamSettings | None = None,
        reader_schema: Mapping[str, Any] | None = None,
        metrics_registry: CollectorRegistry | None = None,
        on_tick: Callable[[], list[OutRecord]] | None = None,
        state: StageState | None = None,
    ) -> None:
        self.name = name
        self.inputs = list(inputs)
        self.outputs = dict(outputs)
        self.transform = transform
        self.dlq_topic = dlq_topic
        self.kafka = kafka or KafkaSettings()
        self.registry = registry or SchemaRegistrySettings()
        self.settings = settings or StreamSettings()
        self.reader_schema = reader_schema
        #: Called whenever a poll brings no records; what it returns is produced (no input
        #: offsets move). Lets time-based logic (window closes, alerts) act during silence.
        self.on_tick = on_tick
        #: Keyed state the transform and on_tick read and write (`streamops.state`); its
        #: changes commit with the batch and roll back with it.
        self.state = state
        self.metrics = StageMetrics(name, metrics_registry)
        self._stopping = threading.Event()
        self._fatal: KafkaError | None = None  #: a fatal consumer error: the stage stops
        self._started = False  # clients up, schemas registered, transactions initialised
        self._registry_ok = True
        self._heartbeat = time.monotonic()
        self._rebalance: Rebalance | None = None
        self.health_port: int | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the loop to finish the current batch, commit, and return."""
        self._stopping.set()

    def live(self) -> bool:
        """The loop has come round recently and its consumer is usable (a stuck stage is
        restarted by its supervisor). Stuck happens: librdkafka's
        send_offsets_to_transaction can wait for good for a group coordinator that a
        broker restart took away (librdkafka#5511), and a static member can be fenced
        for good by its own rejoin after the broker came back."""
        if self._fatal is not None:
            return False
        limit = max(60.0, 3 * self.settings.operation_timeout_s)
        return time.monotonic() - self._heartbeat < limit

    def ready(self) -> bool:
        """Clients created, schemas registered, transactions initialised, registry reachable,
        and with state: in the group with its partitions restored."""
        settled = self._rebalance is None or self._rebalance.settled
        return self._started and self._registry_ok and settled

    def _beat(self) -> None:
        self._heartbeat = time.monotonic()

    def run(self) -> None:
        """Process batches until stopped; outputs of the last batch are committed before return."""
        self._install_signal_handlers()
        tune_garbage_collector()
        health = HealthServer(
            self.settings.health_host,
            self.settings.health_port,
            self.metrics.registry,
            self.live,
            self.ready,
        ).start()
        self.health_port = health.port
        log.info("stage %s: /healthz /readyz /metrics on port %d", self.name, health.port)
        registry = SchemaRegistryClient(self.registry.client_config())
        schemas = {**self.outputs, self.dlq_topic: load_schema("DeadLetter")}
        encoders = self._retry_registry(
            lambda: {t: AvroEncoder(registry, value_subject(t), s) for t, s in schemas.items()}
        )
        if encoders is None:  # stopped before the registry ever answered
            health.stop()
            return
        self._batches = BatchPreparer(
            self.name,
            self.transform,
            AvroDecoder(registry, self.reader_schema),
            encoders,
            self.dlq_topic,
            self.state,
        )
        if self.state is not None:
            prepare_state(
                self.state, self.name, self.inputs, self.kafka, self.metrics, self.settings
            )
        consumer = Consumer(
            consumer_config(
                self.name,
                self.kafka,
                self.settings,
                self.metrics.on_librdkafka_stats,
                stateful=self.state is not None,
                on_error=self._on_consumer_error,
            )
        )
        producer = Producer(producer_config(self.name, self.kafka, self.settings))
        phase = write_phase(
            self.name, self.kafka, self.settings, producer, consumer, self.metrics, self.state
        )
        try:
            phase.start()
            if self.state is None:
                consumer.subscribe(self.inputs)
            else:
                self._rebalance = Rebalance(
                    self.name,
                    self.state,
                    self.kafka,
                    self.settings,
                    self._beat,
                    self._stopping.is_set,
                )
                self._rebalance.subscribe(consumer, self.inputs)
            self._started = True
            log.info(
                "stage %s: consuming %s (%s)",
                self.name,
                self.inputs,
                self.settings.processing_guarantee,
            )
            while not self._stopping.is_set():
                self._beat()
                messages = consumer.consume(
                    self.settings.batch_max_records, self.settings.batch_max_wait_s
                )
                if self._fatal is not None:
                    raise KafkaException(self._fatal)
                if messages:
                    self._process(messages, consumer, phase)
                elif self.on_tick is not None:
                    if self.state is not None:
                        self.state.begin()
                    self._emit(self.on_tick(), phase)
        except StopRequested:  # SIGTERM while a rebalance waited: nothing was taken
            log.info("stage %s: stopped while waiting for the group's offsets", self.name)
        finally:
            self._started = False
            consumer.close()
            producer.flush(self.settings.operation_timeout_s)
            if self.state is not None:
                self.state.close()
            health.stop()
            log.info("stage %s: stopped", self.name)

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: self.stop())

    # -- one micro-batch -------------------------------------------------------------------

    def _process(self, messages: list[Message], consumer: Consumer, phase: WritePhase) -> None:
        started = time.perf_counter()
        messages = [m for m in messages if self._usable(m)]
        if not messages:
            return
        prepared = self._retry_registry(lambda: self._batches.prepare(messages))
        if prepared is None:  # stopping while the registry was down: leave the batch undone
            return
        pending, out_counts, dlq_counts = prepared
        offsets, firsts = batch_offsets(messages)
        if not phase.write(pending, offsets):
            rewind(self.name, consumer, firsts)  # aborted: go back and redo the whole batch
            return
        self.metrics.records_in.inc(len(messages))
        for topic, count in out_counts.items():
            self.metrics.records_out(topic, count)
        for kind, count in dlq_counts.items():
            self.metrics.dead_lettered(kind, count)
        self.metrics.batch_duration.observe(time.perf_counter() - started)

    def _emit(self, outputs: list[OutRecord], phase: WritePhase) -> None:
        """Produce records that come from no input (e.g. an alert when a window closes)."""
        if not outputs and (self.state is None or not self.state.dirty):
            return
        prepared = self._retry_registry(lambda: self._batches.encode(BatchResult(outputs=outputs)))
        if prepared is None:
            return
        pending, out_counts, _ = prepared
        if phase.write(pending, []):
            for topic, count in out_counts.items():
                self.metrics.records_out(topic, count)

    def _on_consumer_error(self, error: KafkaError) -> None:
        """librdkafka's client-level errors. A fatal one leaves the consumer unusable for
        good (e.g. a static member fenced after the broker came back): the stage stops
        with it, and the process exits non-zero for its supervisor to start it again."""
        if fatal_error(error):
            log.error("stage %s: fatal consumer error, stopping: %s", self.name, error.str())
            self._fatal = error
        else:
            log.debug("stage %s: consumer reports %s", self.name, error.str())

    def _usable(self, message: Message) -> bool:
        error = message.error()
        if error is None:
            return True
        if fatal_error(error):
            raise KafkaException(error)
        log.warning("stage %s: consumer reports %s", self.name, error.str())
        return False

    def _retry_registry(self, attempt: Callable[[], T]) -> T | None:
        """Run ``attempt``, backing off while the schema registry is unreachable (None: stopped)."""

        def unavailable(_error: Exception, _wait: float) -> None:
            self._registry_ok = False  # /readyz says 503 meanwhile
            self.metrics.registry_retries.inc()
            self._beat()  # waiting for the registry is not being stuck

        result = retry_while_unavailable(
            attempt,
            what=f"stage {self.name}",
            stop=self._stopping,
            retry_on=(RegistryUnavailable,),
            backoff=Backoff(max_s=self.settings.registry_retry_max_s),
            on_retry=unavailable,
        )
        if result is not None:
            self._registry_ok = True
        return result
