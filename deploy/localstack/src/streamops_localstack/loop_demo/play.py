"""`streamops-local demo` (`make demo`): the closed loop on the fraud example, in minutes.

1. the local stack with the six services on the compressed fraud pipeline (`plan`), its
   topics emptied first, so that every run plays from nothing;
2. 13 hours of transactions at 360x: ordinary ones, then new fraud tactics, with their
   chargebacks as they come due; meanwhile the live status view of the pipeline;
3. once the pipeline has caught up: the timeline and the report (var/demo/report.html).

Nobody touches anything in between: training fits the first model and answers the alert,
serving swaps, monitoring follows. The exit code says whether the loop closed (a
promotion after the drift and the metric recovered).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from streamops.contracts.types import Deployment
from streamops.pipeline import Pipeline, load_pipeline
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.status import StatusError, StatusView
from streamops_examples.connect import open_producer
from streamops_examples.fraud.compressed import LABEL_DELAY_MS
from streamops_examples.fraud.produce import FraudProducer, ProduceReport
from streamops_localstack.errors import LocalStackError
from streamops_localstack.loop_demo.plan import DemoPlan
from streamops_localstack.loop_demo.read import Played, read_played
from streamops_localstack.loop_demo.report import Scrape, render_report
from streamops_localstack.loop_demo.reset import reset_pipeline
from streamops_localstack.loop_demo.scores import Recovery, recovery
from streamops_localstack.loop_demo.timeline import Clocks, Milestone, milestones
from streamops_localstack.services import local_salt
from streamops_localstack.settings import LocalStackSettings
from streamops_localstack.stack import LocalStack

#: After the last transaction, how long the pipeline gets to catch up with it.
CATCH_UP_S = 90.0
_REFRESH_S = 2.0
#: A group's lag when it has read everything: a few transaction markers per partition.
_AT_REST_LAG = 100


class _Stream:
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


def _header(plan: DemoPlan, stream: _Stream) -> Text:
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


def _watch(plan: DemoPlan, stream: _Stream, view: StatusView, console: Console) -> list[Scrape]:
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


@dataclass(frozen=True)
class Outcome:
    """What one play of the loop did, read back from the topics."""

    plan: DemoPlan
    pipeline: Pipeline
    kafka: KafkaSettings
    registry: SchemaRegistrySettings
    report: ProduceReport
    played: Played
    clocks: Clocks
    onset_ms: int
    recovery: Recovery
    steps: list[Milestone]
    promoted_after: list[Deployment]  #: promotions decided after the drift's onset
    scrapes: list[Scrape]

    @property
    def closed(self) -> bool:
        """A promotion after the drift, and the metric recovered."""
        return bool(self.promoted_after) and self.recovery.recovered is not None


def play_loop(settings: LocalStackSettings, plan: DemoPlan, console: Console) -> Outcome:
    """Play ``plan`` on the local stack (started if it is not) with the six services on
    its pipeline, emptied first; the live view on ``console`` meanwhile."""
    spec = plan.write_spec(settings.var_dir / "demo")
    stack = LocalStack(settings.model_copy(update={"pipeline": spec}))
    running = [s.spec.name for s in stack.services if s.process.pid() is not None]
    if running:
        console.print(f"stopping the running services ({', '.join(running)}) ...")
        for service in reversed(stack.services):
            service.stop()
    with console.status("starting Kafka and the schema registry ..."):
        stack.kafka.start()
        stack.registry.start()
    pipeline = load_pipeline(spec)
    kafka = KafkaSettings(bootstrap_servers=stack.kafka.bootstrap_servers)
    registry = SchemaRegistrySettings(url=stack.registry.url)
    with console.status(f"emptying the topics of {plan.name} ..."):
        reset_pipeline(kafka, pipeline)
    for service in stack.services:
        with console.status(f"starting {service.spec.name} ..."):
            service.start()
    producer, _ = open_producer(
        FraudProducer, pipeline, kafka=kafka, registry=registry, salt=local_salt(settings.var_dir)
    )
    options = plan.options()
    stream = _Stream(lambda progress: producer.run(options, progress))
    stream.start()
    with StatusView.connect(pipeline, kafka, registry) as view:
        scrapes = _watch(plan, stream, view, console)
        model = view.observation.model if view.observation else None
    history = list(model.history) if model is not None else []
    with console.status("reading back the predictions, labels, alerts and runs ..."):
        played = read_played(pipeline.name, kafka, registry, history)
    if stream.started is None or stream.report is None or stream.report.first_event_ms is None:
        raise LocalStackError("the stream wrote nothing")
    first_ms = stream.report.first_event_ms
    clocks = Clocks(stream.started, first_ms, plan.time_scale)
    onset_ms = first_ms + round(plan.onset / plan.per_second * 1000)
    drift = pipeline.spec.drift
    window = drift.performance.window if drift is not None else 10_000
    model_spec, labels = pipeline.spec.model, pipeline.spec.labels
    primary = "pr_auc"  # the compressed fraud spec's; read from it as the services do
    if model_spec is not None and labels is not None:
        primary = model_spec.metric_for(model_spec.task_for(labels.kind))
    # the transactions before the first model went live were scored once it had (stream
    # scoring catches up), among them the rows it was fitted on: not what it served
    promotions = [clocks.event(d["decided_at"]) for d in history if d["action"] == "PROMOTE"]
    live = [s for s in played.served if promotions and s.event_ms >= min(promotions)]
    found = recovery(live, primary, window, LABEL_DELAY_MS, onset_ms)
    # a champion replaced after the onset (not the first model, which a pipeline behind the
    # producer may only promote once the stream is past the onset)
    promoted_after = [
        d
        for d in history
        if d["action"] == "PROMOTE"
        and d.get("previous_champion_version") is not None
        and clocks.event(d["decided_at"]) > onset_ms
    ]
    return Outcome(
        plan,
        pipeline,
        kafka,
        registry,
        stream.report,
        played,
        clocks,
        onset_ms,
        found,
        milestones(played, found, clocks, onset_ms),
        promoted_after,
        scrapes,
    )


def play(settings: LocalStackSettings, plan: DemoPlan | None = None) -> int:
    """Play the demo, print its timeline and write its report; 0 when the loop closed, 1
    when it did not (the timeline and the report say where it stopped)."""
    console = Console()
    outcome = play_loop(settings, plan or DemoPlan(), console)
    summary = _summary(outcome)
    table = Table("after", "stream time", "what", "detail", title="The loop, step by step")
    hours = outcome.clocks.hours
    for m in outcome.steps:
        table.add_row(f"{m.wall_s:.0f} s", f"{hours(m.event_ms):.2f} h", m.what, m.detail)
    console.print(table)
    for line in summary:
        console.print(line)
    report = settings.var_dir / "demo" / "report.html"
    report.write_text(
        render_report(
            f"streamops demo: the closed loop on {outcome.pipeline.name}",
            summary,
            outcome.steps,
            outcome.recovery,
            outcome.played,
            outcome.scrapes,
            outcome.clocks,
            outcome.onset_ms,
        )
    )
    name = outcome.pipeline.name
    console.print(
        f"report: {report}\nthe services keep running: `streamops status {name} --spec "
        f"{outcome.pipeline.file}`; `make down` stops them"
    )
    return 0 if outcome.closed else 1


def _summary(outcome: Outcome) -> list[str]:
    report, found = outcome.report, outcome.recovery
    lines = [
        f"{report.events:,} transactions and {report.labels_produced:,} chargebacks in "
        f"{report.elapsed_s:.0f} s"
    ]
    if found.before is not None:
        lines.append(
            f"{found.metric} of the served predictions before the drift: {found.before:.3f} "
            f"(last {found.window:,} labelled)"
        )
    if found.recovered is not None:
        lines.append(f"recovered: {found.recovered.value:.3f} with v{found.recovered.version}")
    if outcome.promoted_after:
        versions = ", ".join(f"v{d['version']}" for d in outcome.promoted_after)
        lines.append(f"promoted after the drift: {versions}")
    closed = "the loop closed" if outcome.closed else "THE LOOP DID NOT CLOSE: see the timeline"
    lines.append(closed)
    return lines
