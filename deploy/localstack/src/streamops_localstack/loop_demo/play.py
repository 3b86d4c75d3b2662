"""`streamops-local demo` (`make demo`): the closed loop on the fraud example, in minutes.

1. the local stack with the six services on the compressed fraud pipeline (`plan`), its
   topics emptied first, so that every run plays from nothing;
2. 13 hours of transactions at 360x: ordinary ones, then new fraud tactics, with their
   chargebacks as they come due; meanwhile the live status view of the pipeline;
3. once the pipeline has caught up: the timeline and the report (var/demo/report.html).

Nobody touches anything in between: training fits the first model and answers the alert,
serving swaps, monitoring follows. The exit code says whether the loop closed (a
promotion after the drift of a retrain on alerts, and the metric recovered). Training also
retrains every 2 h of event time, as the compressed spec says; those promotions are shown
too, not counted as the answer to the drift.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from streamops.contracts.types import Deployment, TrainingRun
from streamops.pipeline import Pipeline, load_pipeline
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.status import StatusView
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
from streamops_localstack.loop_demo.watch import Stream, watch
from streamops_localstack.services import local_salt
from streamops_localstack.settings import LocalStackSettings
from streamops_localstack.stack import LocalStack


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
    def answered(self) -> list[Deployment]:
        """The promotions after the drift that answered alerts (`answered_alerts`)."""
        return answered_alerts(self.promoted_after, self.played.runs)

    @property
    def closed(self) -> bool:
        """A promotion after the drift of a retrain on alerts, and the metric recovered."""
        return bool(self.answered) and self.recovery.recovered is not None


def trained_by(runs: list[TrainingRun]) -> dict[int, str]:
    """Each published version's trigger kind (ALERT, SCHEDULE, NO_CHAMPION ...)."""
    return {
        version: r["trigger"]["kind"]
        for r in runs
        if (version := r.get("model_version")) is not None  # a rejected run published none
    }


def answered_alerts(promotions: list[Deployment], runs: list[TrainingRun]) -> list[Deployment]:
    """The ``promotions`` of a model a retrain on alerts trained: the loop's answer to the
    drift, not the spec's periodic retrain (which may come after the onset too)."""
    kinds = trained_by(runs)
    return [d for d in promotions if kinds.get(d["version"]) == "ALERT"]


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
    stream = Stream(lambda progress: producer.run(options, progress))
    stream.start()
    with StatusView.connect(pipeline, kafka, registry) as view:
        scrapes = watch(plan, stream, view, console)
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
        trigger = trained_by(outcome.played.runs)
        versions = ", ".join(
            f"v{d['version']} ({trigger[d['version']].lower()})"
            if d["version"] in trigger
            else f"v{d['version']} (by {d['actor']})"  # an operator's, without a run
            for d in outcome.promoted_after
        )
        lines.append(f"promoted after the drift: {versions}")
    closed = "the loop closed" if outcome.closed else "THE LOOP DID NOT CLOSE: see the timeline"
    lines.append(closed)
    return lines
