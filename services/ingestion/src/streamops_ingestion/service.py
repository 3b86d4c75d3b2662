"""`streamops run ingestion --pipeline FILE`: the HTTP API until SIGTERM, then a flush."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from types import FrameType

import uvicorn

from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops_ingestion.api.app import create_app
from streamops_ingestion.api.state import Ingestion
from streamops_ingestion.publish.connect import preparer_for
from streamops_ingestion.publish.producer import KafkaEventProducer, producer_config
from streamops_ingestion.records.errors import IngestionConfigError
from streamops_ingestion.settings import IngestionSettings
from streamops_ingestion.startup import Connector, load_settings, load_spec

log = logging.getLogger("streamops_ingestion")

EXIT_CONFIG = 2


def run(pipeline_file: Path) -> None:
    """Serve the pipeline's ingestion API until SIGTERM/SIGINT; exit 0 after a clean flush.

    Bad settings, spec, or a missing PII salt exit with code 2 before anything starts.
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    for chatty in ("httpx", "httpx2"):  # the registry client logs every request at INFO
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        settings = load_settings(IngestionSettings)
        kafka = load_settings(KafkaSettings)
        registry = load_settings(SchemaRegistrySettings)
        pipeline = load_spec(pipeline_file)
        preparer = preparer_for(pipeline, settings)
    except IngestionConfigError as exc:
        print(f"streamops ingestion: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from exc

    producer = KafkaEventProducer(producer_config(kafka, settings))
    state = Ingestion(producer, settings, targets={pipeline.name: None})
    connector = Connector(state, producer, pipeline, preparer, kafka, registry)
    app = create_app(state, lifespan=connector.lifespan)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        access_log=False,
        # in-flight requests may wait for Kafka up to the delivery timeout
        timeout_graceful_shutdown=int(settings.delivery_timeout_s) + 5,
    )
    log.info(
        "ingestion of pipeline %s on http://%s:%d", pipeline.name, settings.host, settings.port
    )
    _ignore_signals_after_uvicorn()
    uvicorn.Server(config).run()


def _ignore_signals_after_uvicorn() -> None:
    """uvicorn handles SIGTERM/SIGINT while it runs (drain requests, lifespan shutdown, which
    flushes the producer) and then re-raises the signal to the handler found before it; this
    handler makes that a clean exit (0) instead of a kill mid-way."""

    def note(signum: int, _frame: FrameType | None) -> None:
        log.info("stopped by %s", signal.Signals(signum).name)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, note)
