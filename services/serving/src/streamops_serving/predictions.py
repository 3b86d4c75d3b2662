"""The predictions log of HTTP answers and the shadow's queue: work off the request path.

Both are bounded and never block a caller: a full buffer drops the newest entry and counts
it (`streamops_serving_prediction_log_dropped_total`, `..._shadow_dropped_total`), as a
busy server must rather answer than wait for the broker or a slow challenger.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
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

    def close(self, timeout_s: float = 10.0) -> None:
        """Write what is queued, then stop."""
        self._stop.set()
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
            # every WRITE_EVERY_S rather than on each offer: a thread woken per request takes
            # the GIL from the request handlers as often, which shows in their tail latency
            self._stop.wait(WRITE_EVERY_S)
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


#: How often the predictions log writes what HTTP answers queued.
WRITE_EVERY_S = 0.05
#: How long the shadow gathers requests after the first, and the most rows it scores at once.
GATHER_S = 0.05
BATCH_ROWS = 512
#: A failing shadow's traceback is logged at most this often (seconds).
LOG_ERRORS_EVERY_S = 60
ShadowJob = tuple[Deployed, Sequence[Mapping[str, Any]], Sequence[EventRef], Source, str | None]


class ShadowQueue:
    """Scores requests with the shadow in a thread of its own; its answers only go to the log.

    A slow or failing shadow costs the callers nothing but the queue's room: jobs beyond
    ``capacity`` are dropped and counted, errors are counted and logged. Requests are
    scored in batches (all of one source: HTTP), gathered for `GATHER_S`.
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
        self._logged_at = -float(LOG_ERRORS_EVERY_S)
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
        while not self._stop.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            # gather for a moment, then score what came as one batch per version: a thread
            # that takes the GIL once per request lengthens the champion's tail latency
            self._stop.wait(GATHER_S)
            while self._jobs and not self._stop.is_set():
                self._score(self._take(BATCH_ROWS))

    def _take(self, most: int) -> list[ShadowJob]:
        jobs, taken, rows = self._jobs, [], 0
        while jobs and rows < most:
            job = jobs.popleft()
            taken.append(job)
            rows += len(job[2])
        return taken

    def _score(self, batch: list[ShadowJob]) -> None:
        m = self._metrics
        by_version: dict[int, list[ShadowJob]] = {}
        for job in batch:
            by_version.setdefault(job[0].version, []).append(job)
        for jobs in by_version.values():
            deployed = jobs[0][0]
            rows = [row for job in jobs for row in job[1]]
            refs = [ref for job in jobs for ref in job[2]]
            try:
                answers = self._scorer.score(deployed, "SHADOW", rows, refs, jobs[0][3])
            except Exception:  # a shadow's failure is counted and logged, never raised
                m.shadow_errors.labels(m.pipeline).inc(len(jobs))
                now = time.monotonic()
                if now - self._logged_at >= LOG_ERRORS_EVERY_S:  # a traceback costs ~1 ms
                    self._logged_at = now
                    log.exception(
                        "shadow v%d failed (streamops_serving_shadow_errors_total counts "
                        "them; the next is logged in %d s at the earliest)",
                        deployed.version,
                        LOG_ERRORS_EVERY_S,
                    )
                continue
            request_ids = [job[4] for job in jobs for _ in job[2]]
            for answer, request_id in zip(answers, request_ids, strict=True):
                answer.prediction["request_id"] = request_id
            self._write([a.prediction for a in answers])
