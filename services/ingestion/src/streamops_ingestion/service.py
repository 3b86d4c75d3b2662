"""`streamops run ingestion --pipeline FILE`: the HTTP API until SIGTERM, then a flush.

Start-up is the library's service entry (`streamops.service`): one log format, settings and
spec errors that exit 2 naming the variable or line, the health port name, topic set-up
and retries. What is ingestion's own is `Connector`: /healthz answers from the first
second while the pipeline is connected in the background.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import uvicorn
from confluent_kafka.schema_registry import SchemaRegistryClient
from starlette.applications import Starlette

from streamops.events.errors import EventConfigError
from streamops.events.prepare import RecordPreparer
from streamops.pipeline import Pipeline
from streamops.service import ensure_pipeline_topics, retry_while_unavailable, start_service
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops_ingestion.api.app import create_app
from streamops_ingestion.api.openapi import openapi_document
from streamops_ingestion.api.state import Ingestion
from streamops_ingestion.publish.connect import connect_target, preparer_for
from streamops_ingestion.publish.producer import KafkaEventProducer, producer_config
from streamops_ingestion.settings import IngestionSettings

log = logging.getLogger("streamops_ingestion")
T = TypeVar("T")


def run(pipeline_file: Path) -> None:
    """Serve the pipeline's ingestion API until SIGTERM/SIGINT; exit 0 after a clean flush.

    Bad settings, spec, a missing PII salt, or topics the cluster refuses for good exit 2.
    """
    entry = start_service("ingestion")
    settings = entry.settings(IngestionSettings)
    kafka = entry.settings(KafkaSettings)
    registry = entry.settings(SchemaRegistrySettings)
    pipeline = entry.pipeline(pipeline_file)
    try:
        preparer = preparer_for(pipeline, settings)
    except EventConfigError as exc:
        entry.cannot_start(str(exc))

    producer = KafkaEventProducer(producer_config(kafka, settings))
    state = Ingestion(producer, settings, targets={pipeline.name: None})
    connector = Connector(state, producer, pipeline, preparer, kafka, registry)
    document = openapi_document({pipeline.name: pipeline}, settings)
    config = uvicorn.Config(
        create_app(state, lifespan=connector.lifespan, openapi=document),
        host=settings.health_host,
        port=settings.health_port,
        access_log=False,
        log_config=None,  # uvicorn's records go through the service's one log format
        # in-flight requests may wait for Kafka up to the delivery timeout
        timeout_graceful_shutdown=int(settings.delivery_timeout_s) + 5,
    )
    server = uvicorn.Server(config)
    connector.on_failure = lambda: setattr(server, "should_exit", True)
    log.info(
        "ingestion of pipeline %s on http://%s:%d",
        pipeline.name,
        settings.health_host,
        settings.health_port,
    )
    # uvicorn hands SIGTERM/SIGINT back once it has drained and flushed: a clean exit
    entry.handle_stop_signals()
    server.run()
    if connector.failure is not None:
        entry.cannot_start(connector.failure)


class Connector:
    """Connects the service in the background so that /healthz answers from the first second:
    reach a broker, ensure the pipeline's topics, register its schema, then mark it ready.

    An unreachable broker or registry is retried with back-off (`retry_while_unavailable`)
    and shown by /readyz; what retrying cannot fix (e.g. a replication factor the cluster
    cannot have) is kept in ``failure`` and ``on_failure`` stops the server. Used as the
    app's lifespan, which also flushes the producer on shutdown.
    """

    def __init__(
        self,
        state: Ingestion,
        producer: KafkaEventProducer,
        pipeline: Pipeline,
        preparer: RecordPreparer,
        kafka: KafkaSettings,
        registry: SchemaRegistrySettings,
    ) -> None:
        self._state = state
        self._producer = producer
        self._pipeline = pipeline
        self._preparer = preparer
        self._kafka = kafka
        self._registry = registry
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.connect, name="connect", daemon=True)
        self.failure: str | None = None
        self.on_failure: Callable[[], None] = lambda: None

    @asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        """Start connecting; on shutdown stop that and flush the producer."""
        self._thread.start()
        try:
            yield
        finally:
            self.stop()
            timeout = self._state.settings.shutdown_timeout_s
            remaining = await asyncio.to_thread(self._producer.close, timeout)
            if remaining:
                log.error(
                    "%d events were not delivered within %.0f s of shutdown", remaining, timeout
                )
            else:
                log.info("producer flushed; every accepted event is in Kafka")

    def stop(self) -> None:
        """Stop connecting (a retry in progress ends at once)."""
        self._stop.set()

    def connect(self) -> None:
        """Reach a broker, ensure the topics, register the schema: the lifespan's thread."""
        name = self._pipeline.name
        settings = self._state.settings

        def waiting(exc: Exception, _delay: float) -> None:
            self._state.waiting_for[name] = f"{type(exc).__name__}: {exc}"

        def retried(step: Callable[[], T]) -> T | None:
            return retry_while_unavailable(
                step, what=f"pipeline {name} not ready", stop=self._stop, on_retry=waiting
            )

        try:
            if retried(self._reach_broker) is None:
                return
            topics = retried(
                lambda: ensure_pipeline_topics(
                    self._kafka,
                    name,
                    partitions=settings.topic_partitions,
                    replication_factor=settings.topic_replication_factor,
                )
            )
            if topics is None:
                return
            registry = SchemaRegistryClient(self._registry.client_config())
            target = retried(
                lambda: connect_target(self._pipeline, self._preparer, registry, settings)
            )
        except Exception as exc:  # not an outage: waiting will not fix it
            self.failure = str(exc)
            self._state.waiting_for[name] = f"{type(exc).__name__}: {exc}"
            log.error("pipeline %s cannot be connected: %s", name, exc)
            self.on_failure()
            return
        if target is None:
            return
        self._state.targets[name] = target
        self._state.waiting_for.pop(name, None)
        log.info("pipeline %s ready: events go to %s", name, target.topic)

    def _reach_broker(self) -> bool:
        if not self._producer.check_connection(timeout_s=10):
            raise ConnectionError(f"no broker answered at {self._kafka.bootstrap_servers}")
        return True
