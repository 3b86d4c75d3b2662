"""The demo while it plays: the stream on its own thread, the live view, the catch-up."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console, Group
from rich.live import Live
from rich.text import Text

from streamops.status import StatusError, StatusView
from streamops_examples.fraud.produce import ProduceReport
from streamops_localstack.loop_demo.plan import DemoPlan
from streamops_localstack.loop_demo.report import Scrape

#: After the last transaction, how long the pipeline gets to catch up with it.
CATCH_UP_S = 90.0
_REFRESH_S = 2.0
#: A group's lag when it has read everything: a few transaction markers per partition.
_AT_REST_LAG = 100


class Stream:
    """The producer on its own thread, and how far it got."""

    def __init__(self, run: Callable[[Callable[[int, int], None]], ProduceReport]) -> None:
        self.events = 0
        self.started: float | None = None  #: time.time() of the first progress report
        self.report: ProduceReport | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, args=(run,), daemon=True)

    def _main(self, run: Callable[[Callable[[int, int], None]], ProduceReport]) -> None:
        try:
            self.report = run(self._progress)
        except BaseException as exc:  # shown by the demo, which stops
            self.error = exc

    def _progress(self, events: int, _labels: int) -> None:
        if self.started is None:
            self.started = time.time()
        self.events = events

    def start(self) -> None:
        self._thread.start()

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()


def _scrape(metrics: str | None, wall_s: float) -> Scrape:
    if not metrics:
        return Scrape(wall_s, None, None, None)
    found: dict[str, list[float]] = {}
    for family in text_string_to_metric_families(metrics):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample.value)

    def largest(name: str) -> float | None:
        return max(found[name]) if found.get(name) else None

    return Scrape(
        wall_s,
        largest("streamops_monitoring_feature_drift"),
        largest("streamops_monitoring_drifted_features"),
        largest("streamops_monitoring_prediction_drift"),
    )


def _header(plan: DemoPlan, stream: Stream) -> Text:
    if stream.started is None:
        return Text("make demo: starting the stream ...", style="bold")
    hours = stream.events / plan.per_second / 3600
    phase = "ordinary transactions" if stream.events < plan.onset else "NEW FRAUD TACTICS"
    line = (
        f"make demo: {time.time() - stream.started:5.0f} s, stream at {hours:5.2f} h of "
        f"{plan.steady_h + plan.drifted_h:g} h ({stream.events:,} transactions): {phase}"
    )
    if stream.done:
        line += "; the stream has ended, waiting for the pipeline to catch up"
    return Text(line, style="bold")


def _lags(view: StatusView) -> dict[str, int | None]:
    snapshot = view.snapshot
    return {} if snapshot is None else {g.service: g.lag for g in snapshot.groups}


def _caught_up(lags: dict[str, int | None], before: dict[str, int | None]) -> bool:
    """Every consumer group is at the end of its input: its lag small and unchanged since
    the look before. Not 0: the commit markers of transactional producers (features,
    serving) take offsets no consumer ever commits past."""
    services = ("validation", "features", "serving", "monitoring")
    return all(
        (lag := lags.get(s)) is not None and lag <= _AT_REST_LAG and lag == before.get(s)
        for s in services
    )


def watch(plan: DemoPlan, stream: Stream, view: StatusView, console: Console) -> list[Scrape]:
    """The live view until the stream has ended and the pipeline caught up."""
    scrapes: list[Scrape] = []
    ended: float | None = None
    lags: dict[str, int | None] = {}
    with Live(console=console, auto_refresh=False, transient=False) as live:
        while True:
            with contextlib.suppress(StatusError):  # shown by the view; tried again
                view.update()
            if stream.started is not None and view.observation is not None:
                scrapes.append(_scrape(view.observation.metrics, time.time() - stream.started))
            live.update(Group(_header(plan, stream), view), refresh=True)
            if stream.error is not None:
                raise stream.error
            lags, before = _lags(view), lags
            if stream.done:
                ended = ended or time.monotonic()
                if _caught_up(lags, before) or time.monotonic() - ended > CATCH_UP_S:
                    return scrapes
            time.sleep(_REFRESH_S)
