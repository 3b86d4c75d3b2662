"""Start-up shared by the service and the CLI: settings that fail naming the variable, the
pipeline spec, and the background connection of the service to Kafka and the registry."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from confluent_kafka.schema_registry import SchemaRegistryClient
from pydantic import ValidationError
from pydantic_settings import BaseSettings
from starlette.applications import Starlette

from streamops.pipeline import Pipeline, SpecError, load_pipeline
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops_ingestion.api.state import Ingestion
from streamops_ingestion.publish.connect import connect_target, ensure_pipeline_topics
from streamops_ingestion.publish.producer import KafkaEventProducer
from streamops_ingestion.records.errors import IngestionConfigError
from streamops_ingestion.records.prepare import RecordPreparer
from streamops_ingestion.settings import describe_settings_error

log = logging.getLogger(__name__)

REGISTRY_TIMEOUT_S = 10
_RETRY_MAX_S = 30.0
S = TypeVar("S", bound=BaseSettings)


def load_settings(cls: type[S], **overrides: Any) -> S:
    """``cls()`` from the environment (plus ``overrides``); IngestionConfigError naming each bad
    variable otherwise."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        prefix = str(cls.model_config.get("env_prefix", ""))
        raise IngestionConfigError(describe_settings_error(exc, prefix)) from exc


def load_spec(file: Path) -> Pipeline:
    """The checked pipeline spec; IngestionConfigError with every problem and its line."""
    try:
        return load_pipeline(file)
    except SpecError as exc:
        raise IngestionConfigError(str(exc)) from exc


def registry_client(settings: SchemaRegistrySettings) -> SchemaRegistryClient:
    """A registry client whose requests fail after a while instead of hanging."""
    return SchemaRegistryClient({**settings.client_config(), "timeout": REGISTRY_TIMEOUT_S})


class Connector:
    """Connects the service in the background so that /healthz answers from the first second:
    reach a broker, ensure the pipeline's topics, register its schema, then mark it ready.
    Failures are retried with back-off and shown by /readyz. Used as the app's lifespan,
    which also flushes the producer on shutdown."""

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
        self._thread = threading.Thread(target=self._connect, name="connect", daemon=True)

    @asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        """Start connecting; on shutdown stop that and flush the producer."""
        self._thread.start()
        try:
            yield
        finally:
            self._stop.set()
            timeout = self._state.settings.shutdown_timeout_s
            remaining = await asyncio.to_thread(self._producer.close, timeout)
            if remaining:
                log.error(
                    "%d events were not delivered within %.0f s of shutdown", remaining, timeout
                )
            else:
                log.info("producer flushed; every accepted event is in Kafka")

    def _connect(self) -> None:
        name = self._pipeline.name
        delay = 1.0
        while not self._stop.is_set():
            try:
                if not self._producer.check_connection(timeout_s=10):
                    raise ConnectionError(f"no broker answered at {self._kafka.bootstrap_servers}")
                ensure_pipeline_topics(self._kafka, self._state.settings, name)
                target = connect_target(
                    self._pipeline,
                    self._preparer,
                    registry_client(self._registry),
                    self._state.settings,
                )
            except Exception as exc:  # anything here is retried and shown by /readyz
                self._state.waiting_for[name] = f"{type(exc).__name__}: {exc}"
                log.warning("pipeline %s not ready, retrying in %.0f s: %s", name, delay, exc)
                self._stop.wait(delay)
                delay = min(delay * 2, _RETRY_MAX_S)
                continue
            self._state.targets[name] = target
            self._state.waiting_for.pop(name, None)
            log.info("pipeline %s ready: events go to %s", name, target.topic)
            return
