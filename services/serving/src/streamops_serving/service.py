"""`streamops run serving --pipeline FILE`: online predictions over HTTP and on the stream.

One process holds the online view (rebuilt from the features changelog), the line-up of
loaded versions (followed live from the registry topics), and answers REST and V2 requests
while a stream stage scores ``{p}.features``. The HTTP port answers at once; ``/readyz``
says what is still awaited (the view catching up, the first champion) until all is there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import uvicorn
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from streamops.contracts import load_schema
from streamops.events.ids import id_format_for
from streamops.events.prepare import RecordPreparer
from streamops.features import feature_set
from streamops.features.view import OnlineView
from streamops.pipeline import Pipeline
from streamops.pipeline.model_spec import ModelSpec
from streamops.pipeline.pii import MissingSaltError, PiiTreatment
from streamops.registry import ModelRegistry, RegistryError
from streamops.runtime import Stage, StreamSettings
from streamops.service import start_service
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.topics import TopicNames
from streamops_serving.api.asgi import App
from streamops_serving.api.auth import Tokens
from streamops_serving.api.openapi import openapi_document
from streamops_serving.api.rest import RestRoutes
from streamops_serving.api.routes import Routes
from streamops_serving.api.v2 import V2Routes
from streamops_serving.follower import ModelFollower
from streamops_serving.metrics import ServingMetrics
from streamops_serving.predictions import PredictionLog, ShadowQueue
from streamops_serving.requests import RequestScorer
from streamops_serving.scoring import Scorer
from streamops_serving.settings import ServingSettings
from streamops_serving.stream import StreamScorer

log = logging.getLogger("streamops.serving")


class ServingServer:
    """Everything one serving process runs, started in order by `start`."""

    def __init__(
        self,
        pipeline: Pipeline,
        settings: ServingSettings,
        stream: StreamSettings,
        kafka: KafkaSettings,
        registry: SchemaRegistrySettings,
        pii: PiiTreatment,
    ) -> None:
        self.pipeline, self.settings = pipeline, settings
        names = TopicNames(pipeline.name)
        self.model_name = settings.model_name or (pipeline.spec.model or ModelSpec()).name
        self.model_name = self.model_name or pipeline.name
        self.metrics_registry = CollectorRegistry()
        self.metrics = ServingMetrics(self.metrics_registry, pipeline.name)
        self.scorer = Scorer(pipeline.name, self.metrics)
        features = feature_set(pipeline)
        self.view = OnlineView(
            features, kafka, stage=settings.features_stage, registry=self.metrics_registry
        )
        self.follower = ModelFollower(
            self.model_name,
            ModelRegistry(pipeline.name, kafka, registry, timeout_s=settings.timeout_seconds),
            self.scorer,
            features.names,
            self.metrics,
        )
        self.log = None
        if settings.prediction_buffer > 0:
            self.log = PredictionLog(
                names.predictions, kafka, registry, self.metrics, settings.prediction_buffer
            )
        write = self.log.offer if self.log is not None else (lambda _p: None)
        self.shadow = ShadowQueue(self.scorer, write, self.metrics, settings.shadow_queue)
        preparer = RecordPreparer(pipeline, id_format_for(pipeline.spec), pii)
        self.requests = RequestScorer(
            self.scorer,
            self.view,
            preparer,
            self.log,
            self.shadow,
            answering=settings.mode != "stream",
        )
        self.stage: Stage | None = None
        if settings.mode != "http":
            self.stage = Stage(
                settings.group_id or names.stage("serving"),
                inputs=[names.features],
                outputs={names.predictions: load_schema("Prediction")},
                transform=StreamScorer(self.scorer, names.predictions, self.metrics).score_batch,
                dlq_topic=names.events_dlq,
                kafka=kafka,
                registry=registry,
                settings=stream.model_copy(update={"health_host": "127.0.0.1", "health_port": 0}),
                metrics_registry=self.metrics_registry,
            )
        v2 = V2Routes(self.requests, self.model_name, list(preparer.fields))
        tokens = Tokens(_secret(settings.predict_token), _secret(settings.admin_token))
        self.routes = Routes(
            RestRoutes(self.requests, pipeline.name, settings.max_batch),
            v2,
            tokens,
            self.alive,
            self.waiting,
            self.follower.describe,
            openapi_document(pipeline, self.model_name),
            self.metrics_registry,
            self.metrics,
        )
        self.app = App(
            self.routes, self.routes.observe, settings.max_body_bytes, on_shutdown=self.close
        )
        self._stop = threading.Event()
        self._stage_thread: threading.Thread | None = None
        self._starter = threading.Thread(target=self._start, name="serving-start", daemon=True)

    def start(self) -> None:
        """Start the parts in a thread: the view, the models, the logs, the stream stage."""
        self._starter.start()

    def alive(self) -> bool:
        """False once stream scoring has died or is stuck (its supervisor restarts us)."""
        thread = self._stage_thread
        if self.stage is None or thread is None:
            return True
        return thread.is_alive() and self.stage.live()

    def waiting(self) -> list[str]:
        """What the server still waits for before it is ready (empty: ready)."""
        reasons = []
        if self.settings.mode != "stream" and not self.view.wait_caught_up(0):
            reasons.append(f"the online view reading {self.view.topic}")
        if self.scorer.lineup.champion is None:
            reasons.append(f"a champion of {self.model_name} to load")
        if self.stage is not None and not self.stage.ready():
            reasons.append("stream scoring to join its group")
        return reasons

    def close(self) -> None:
        """Stop the stage, write what the logs hold, leave the cluster."""
        self._stop.set()
        if self.stage is not None:
            self.stage.stop()
        if self._stage_thread is not None:  # its last batch committed before we go
            self._stage_thread.join(self.settings.timeout_seconds)
        self.follower.close()
        self.shadow.close()
        if self.log is not None:
            self.log.close()
        self.view.close()

    def _start(self) -> None:
        if self.settings.mode != "stream":
            self._retry(self.view.start, "the online view")
        self._retry(self.follower.start, "the model registry")
        if self.log is not None:
            self.log.start()
        self.shadow.start()
        # stream scoring starts with the first champion: a features record read before
        # would fail to score and be dead-lettered, and never get its prediction
        while self.stage is not None and self.scorer.lineup.champion is None:
            if self._stop.wait(0.2):
                return
        if self.stage is not None and not self._stop.is_set():
            self._stage_thread = threading.Thread(
                target=self.stage.run, name="stream-scoring", daemon=True
            )
            self._stage_thread.start()

    def _retry(self, step: Callable[[], object], what: str) -> None:
        while not self._stop.is_set():
            try:
                step()
                return
            except (LookupError, RegistryError) as exc:
                log.warning("serving: waiting for %s: %s", what, exc)
                self._stop.wait(2)


def run(pipeline_file: Path) -> None:
    """Serve until SIGTERM; bad config exits 2, naming it."""
    started = start(pipeline_file)
    if started is None:
        return
    server, settings = started
    # uvicorn with httptools and uvloop, measured against granian 2.8 on this app (as many
    # answers a second, a lower p99): docs/benchmarks.md, "The HTTP server", "Past the
    # targets".
    config = uvicorn.Config(
        server.app,
        host=settings.health_host,
        port=settings.health_port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_config=None,
    )
    uvicorn.Server(config).run()


def start(pipeline_file: Path) -> tuple[ServingServer, ServingSettings] | None:
    """The serving server of ``pipeline_file``, started, with its settings, for an HTTP
    server to serve ``server.app``; None when stopped before the topics were there."""
    entry = start_service("serving")
    settings = entry.settings(ServingSettings)
    stream = entry.stream_settings(settings)
    kafka, registry = entry.settings(KafkaSettings), entry.settings(SchemaRegistrySettings)
    pipeline = entry.pipeline(pipeline_file)
    if pipeline.spec.features is None:
        entry.cannot_start(f"{pipeline_file}: the spec has no features section")
    try:
        pii = PiiTreatment(pipeline.spec.pii)
    except MissingSaltError as exc:
        entry.cannot_start(str(exc))
    entry.handle_stop_signals()
    if settings.ensure_topics and entry.ensure_topics(kafka, pipeline.name) is None:
        return None
    server = ServingServer(pipeline, settings, stream, kafka, registry, pii)
    server.start()
    return server, settings


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None
