"""The predictions log of HTTP answers and the shadow's queue: work off the request path.

Both are bounded and never block a caller: a full buffer drops the newest entry and counts
it (`streamops_serving_prediction_log_dropped_total`, `..._shadow_dropped_total`), as a
busy server must rather answer than wait for the broker or a slow challenger.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from confluent_kafka import KafkaError, Message, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient

from streamops.contracts import load_schema
from streamops.contracts.types import Prediction
from streamops.serde import AvroEncoder, RegistryUnavailable, value_subject
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops_serving.lineup import Deployed
from streamops_serving.metrics import ServingMetrics
from streamops_serving.scoring import EventRef, Scorer, Source

log = logging.getLogger("streamops.serving")


class PredictionLog:
    """Writes HTTP predictions to ``{p}.predictions`` from a thread of its own."""

    def __init__(
        self,
        topic: str,
        kafka: KafkaSettings,
        registry: SchemaRegistrySettings,
        metrics: ServingMetrics,
        capacity: int,
    ) -> None:
        self.topic = topic
        self.capacity = capacity
        self._kafka, self._registry, self._metrics = kafka, registry, metrics
        self._pending: collections.deque[Prediction] = collections.deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._write, name="prediction-log", daemon=True)
        self.written = 0

    def start(self) -> None:
        self._thread.start()

    def offer(self, predictions: Sequence[Prediction]) -> None:
        """Queue predictions to write; never blocks (overflow is dropped and counted)."""
        room = self.capacity - len(self._pending)
        if room < len(predictions):
            m = self._metrics
            m.log_dropped.labels(m.pipeline).inc(len(predictions) - max(room, 0))
            predictions = predictions[: max(room, 0)]
        self._pending.extend(predictions)
        self._wake.set()

    def close(self, timeout_s: float = 10.0) -> None:
        """Write what is queued, then stop."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _write(self) -> None:
        encoder = self._encoder()
        if encoder is None:
            return
        producer = Producer(
            {
                **self._kafka.client_config(),
                "enable.idempotence": True,
                "linger.ms": 20,
                "compression.type": "lz4",
            }
        )
        pending, m = self._pending, self._metrics
        queued = m.log_queued.labels(m.pipeline)
        while True:
            self._wake.wait(0.5)
            self._wake.clear()
            while pending:
                prediction = pending.popleft()
                try:
                    producer.produce(
                        self.topic,
                        encoder.encode(prediction),
                        prediction["entity_key"].encode(),
                        on_delivery=self._delivered,
                    )
                except BufferError:
                    producer.poll(0.1)  # librdkafka's queue is full: let it drain
                    pending.appendleft(prediction)
                    continue
                self.written += 1
            producer.poll(0)
            queued.set(len(pending))
            if self._stop.is_set() and not pending:
                break
        producer.flush(10)

    def _encoder(self) -> AvroEncoder | None:
        """The Prediction encoder, its schema registered; retried while the registry is away."""
        client = SchemaRegistryClient(self._registry.client_config())
        while not self._stop.is_set():
            try:
                return AvroEncoder(client, value_subject(self.topic), load_schema("Prediction"))
            except RegistryUnavailable as exc:
                log.warning("predictions log: %s; retrying in 2 s", exc)
                self._stop.wait(2)
        return None

    def _delivered(self, err: KafkaError | None, _msg: Message) -> None:
        if err is not None:
            m = self._metrics
            m.log_failed.labels(m.pipeline).inc()
            log.warning("a prediction was not written to %s: %s", self.topic, err)


ShadowJob = tuple[Deployed, Sequence[Mapping[str, Any]], Sequence[EventRef], Source, str | None]


class ShadowQueue:
    """Scores requests with the shadow in a thread of its own; its answers only go to the log.

    A slow or failing shadow costs the callers nothing but the queue's room: jobs beyond
    ``capacity`` are dropped and counted, errors are counted and logged.
    """

    def __init__(
        self,
        scorer: Scorer,
        write: Callable[[Sequence[Prediction]], None],
        metrics: ServingMetrics,
        capacity: int,
    ) -> None:
        self._scorer, self._write, self._metrics = scorer, write, metrics
        self.capacity = capacity
        self._jobs: collections.deque[ShadowJob] = collections.deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="shadow", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def offer(self, job: ShadowJob) -> None:
        """Queue one request's rows for the shadow; never blocks."""
        if len(self._jobs) >= self.capacity:
            m = self._metrics
            m.shadow_dropped.labels(m.pipeline).inc()
            return
        self._jobs.append(job)
        self._wake.set()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def _run(self) -> None:
        jobs, m = self._jobs, self._metrics
        while not self._stop.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            while jobs and not self._stop.is_set():
                deployed, rows, refs, source, request_id = jobs.popleft()
                try:
                    answers = self._scorer.score(deployed, "SHADOW", rows, refs, source, request_id)
                except Exception:  # a shadow's failure is logged and counted, never raised
                    m.shadow_errors.labels(m.pipeline).inc()
                    log.exception("shadow v%d failed", deployed.version)
                    continue
                self._write([a.prediction for a in answers])
