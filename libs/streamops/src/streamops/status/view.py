"""`StatusView`: the live terminal view of a pipeline, for `streamops status` and the demo.

`update` takes a new look and keeps the one before for the rates; the view renders the
latest snapshot (it is a rich renderable), so a caller can put it in its own `Live` or
let `run` refresh it every few seconds until Ctrl-C or a stop event.
"""

from __future__ import annotations

import contextlib
import threading
from types import TracebackType
from typing import Protocol

from rich.console import Console, ConsoleOptions, RenderResult
from rich.live import Live
from rich.text import Text

from streamops.pipeline import Pipeline
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.status.errors import StatusError
from streamops.status.reader import MONITORING_METRICS_URL, TRAINING_METRICS_URL, StatusReader
from streamops.status.render import render_snapshot
from streamops.status.snapshot import Observation, Snapshot, build_snapshot


class Looker(Protocol):
    """What a view looks through: `StatusReader`, or a fake in tests."""

    pipeline: Pipeline

    def observe(self) -> Observation: ...

    def close(self) -> None: ...


class StatusView:
    """One pipeline's status, refreshed on demand."""

    def __init__(self, reader: Looker) -> None:
        self.pipeline = reader.pipeline
        self.reader = reader
        self.snapshot: Snapshot | None = None
        self.error: str | None = None  #: why the last update failed, None when it did not
        #: the last successful look, before anything was derived from it
        self.observation: Observation | None = None

    @classmethod
    def connect(
        cls,
        pipeline: Pipeline,
        kafka: KafkaSettings,
        registry: SchemaRegistrySettings,
        *,
        monitoring_url: str = MONITORING_METRICS_URL,
        training_url: str = TRAINING_METRICS_URL,
        timeout_s: float = 10.0,
    ) -> StatusView:
        """The view of ``pipeline`` on the cluster and registry given (nothing read yet)."""
        return cls(
            StatusReader(
                pipeline,
                kafka,
                registry,
                monitoring_url=monitoring_url,
                training_url=training_url,
                timeout_s=timeout_s,
            )
        )

    def update(self) -> Snapshot:
        """Look again; the new snapshot (rates since the look before). StatusError when the
        look fails: the view keeps its last snapshot and shows the error."""
        try:
            seen = self.reader.observe()
        except StatusError as exc:
            self.error = str(exc)
            raise
        self.snapshot = build_snapshot(self.pipeline, seen, self.observation)
        self.observation, self.error = seen, None
        return self.snapshot

    def run(
        self,
        interval_s: float = 2.0,
        *,
        console: Console | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        """Show the view, refreshed every ``interval_s``, until ``stop`` is set or Ctrl-C
        (which ends it quietly). A failed refresh is shown and tried again next time."""
        stop = stop or threading.Event()
        try:
            with Live(self, console=console, auto_refresh=False) as live:
                if self.snapshot is None:
                    self._try_update()
                live.refresh()
                while not stop.wait(interval_s):
                    self._try_update()
                    live.refresh()
        except KeyboardInterrupt:
            return

    def _try_update(self) -> None:
        with contextlib.suppress(StatusError):  # shown by the view until a look succeeds
            self.update()

    def close(self) -> None:
        """Leave the cluster."""
        self.reader.close()

    def __enter__(self) -> StatusView:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        note = f"last refresh failed: {self.error}" if self.error else None
        if self.snapshot is None:
            yield Text(note or f"reading {self.pipeline.name} ...")
            return
        yield render_snapshot(self.snapshot, note)
