"""The start of a service process, written once for every service.

A service's ``run()`` reads as::

    entry = start_service("validation")           # one log format, codec warning
    settings = entry.settings(ValidationSettings)  # bad value: exit 2 naming the variable
    pipeline = entry.pipeline(pipeline_file)       # bad spec: exit 2 naming field and line
    entry.handle_stop_signals()                    # SIGTERM while starting: a clean exit
    entry.ensure_topics(kafka, pipeline.name)      # retried while the cluster is away

Everything that stops a service before it runs prints ``<service>: cannot start: <problem>``
on stderr, one problem a line, and exits with `EXIT_CANNOT_START`.
"""

from __future__ import annotations

import functools
import logging
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn, TypeVar

from pydantic_settings import BaseSettings

from streamops import serde
from streamops.pipeline import Pipeline
from streamops.runtime.settings import StreamSettings
from streamops.service.logs import configure_logging
from streamops.service.retry import retry_while_unavailable
from streamops.service.settings import (
    LogSettings,
    ServiceSettings,
    StartupError,
    read_pipeline,
    read_settings,
)
from streamops.service.topics import ensure_pipeline_topics
from streamops.settings import KafkaSettings
from streamops.topics import DEFAULT_EVENT_PARTITIONS, EnsureReport, TopicError

log = logging.getLogger("streamops.service")

#: The exit code of a service that cannot start (bad settings, spec, salt, topics).
EXIT_CANNOT_START = 2
S = TypeVar("S", bound=BaseSettings)


def start_service(service: str) -> ServiceEntry:
    """Begin the process of ``service``: logging in the one format (``STREAMOPS_LOG_*``), and
    the warning, once, when the native Avro codec is missing."""
    entry = ServiceEntry(service)
    configure_logging(entry.settings(LogSettings))
    warn_without_native_codec()
    return entry


@functools.cache
def warn_without_native_codec() -> str | None:
    """Log, once per process, the serde's warning that the native Avro codec is missing."""
    check: Callable[[], str | None] | None = getattr(serde, "native_codec_warning", None)
    text = check() if check is not None else None
    if text:
        log.warning("%s", text)
    return text


class ServiceEntry:
    """One service process starting: its settings, spec and topics, or a clear exit 2.

    ``stopping`` is set by SIGTERM / SIGINT once `handle_stop_signals` was called; the
    waits of start-up (`ensure_topics`) end on it, so a service stopped while it waits
    for the cluster exits 0 instead of being killed.
    """

    def __init__(self, service: str) -> None:
        self.service = service
        self.stopping = threading.Event()

    def cannot_start(self, problem: str | StartupError) -> NoReturn:
        """Print ``<service>: cannot start: <problem>`` (a line each) and exit 2."""
        lines = problem.problems if isinstance(problem, StartupError) else problem.splitlines()
        for line in lines or ("(no reason given)",):
            print(f"{self.service}: cannot start: {line}", file=sys.stderr)
        raise SystemExit(EXIT_CANNOT_START)

    def settings(self, cls: type[S], **overrides: Any) -> S:
        """``cls()`` from the environment; exit 2 naming each bad variable."""
        try:
            return read_settings(cls, **overrides)
        except StartupError as exc:
            self.cannot_start(exc)

    def pipeline(self, file: Path) -> Pipeline:
        """The checked pipeline spec; exit 2 naming each bad field and its line."""
        try:
            return read_pipeline(file)
        except StartupError as exc:
            self.cannot_start(exc)

    def stream_settings(self, service: ServiceSettings) -> StreamSettings:
        """The stream runtime's settings (``STREAMOPS_STREAM_*``), serving /healthz, /readyz
        and /metrics on the service's own health address."""
        stream = self.settings(StreamSettings)
        prefix = str(type(service).model_config.get("env_prefix", ""))
        for name in sorted({"health_host", "health_port"} & stream.model_fields_set):
            log.warning(
                "STREAMOPS_STREAM_%s is not read by services: set %s%s",
                name.upper(),
                prefix,
                name.upper(),
            )
        return stream.model_copy(
            update={"health_host": service.health_host, "health_port": service.health_port}
        )

    def handle_stop_signals(self) -> None:
        """From now on SIGTERM and SIGINT set `stopping` (only the main thread can listen).

        A server or stage that installs its own handlers later takes over; uvicorn hands a
        signal back to these when it is done, which makes its stop a clean exit.
        """
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, self._on_stop_signal)

    def ensure_topics(
        self,
        kafka: KafkaSettings,
        pipeline: str,
        *,
        partitions: int = DEFAULT_EVENT_PARTITIONS,
        replication_factor: int | None = None,
    ) -> EnsureReport | None:
        """The pipeline's topics from the catalog, created if missing, drift logged; retried
        while the cluster does not answer. None if stopped first; exit 2 for what retrying
        cannot fix."""
        try:
            return retry_while_unavailable(
                lambda: ensure_pipeline_topics(
                    kafka, pipeline, partitions=partitions, replication_factor=replication_factor
                ),
                what=f"{self.service}: topics of pipeline {pipeline}",
                stop=self.stopping,
            )
        except TopicError as exc:
            self.cannot_start(str(exc))

    def _on_stop_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("%s stopped by %s", self.service, signal.Signals(signum).name)
        self.stopping.set()
