"""`streamops produce fraud`: generated card transactions and chargebacks into a pipeline.

Registered on the root `streamops` app through the ``streamops.cli`` entry point
(`register`), so the core library does not carry the examples.

Exit code 0: everything delivered; 1: some records were not delivered; 2: could not
start (bad arguments, spec or scenario, no PII salt, cluster or registry unreachable);
130: interrupted (what was produced is still delivered and summarised).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from streamops.cli.options import BootstrapServers, RegistryUrl, kafka_settings, registry_settings
from streamops.pipeline import Pipeline, SpecError, load_pipeline
from streamops_examples.fraud.clock import PaceError
from streamops_examples.fraud.connect import ProduceSetupError, open_fraud_producer
from streamops_examples.fraud.generator import EVENT_FIELDS
from streamops_examples.fraud.produce import ProduceOptions, ProduceReport
from streamops_examples.fraud.scenarios import Scenario, ScenarioError, load_scenario

EXIT_UNDELIVERED = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130

app = typer.Typer(help="Produce example data into a pipeline's topics.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Produce example data into a pipeline's topics."""  # keeps `fraud` a subcommand


def register(root: typer.Typer) -> None:
    """Add ``streamops produce`` (one subcommand per example) to the root ``streamops`` app."""
    root.add_typer(app, name="produce")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_ERROR)


def _load(pipeline_file: Path, scenario_file: Path | None) -> tuple[Pipeline, Scenario | None]:
    try:
        pipeline = load_pipeline(pipeline_file)
        scenario = load_scenario(scenario_file) if scenario_file is not None else None
    except (SpecError, ScenarioError) as exc:
        raise _fail(str(exc)) from exc
    missing = sorted(set(EVENT_FIELDS) - {f["name"] for f in pipeline.event_schema["fields"]})
    if missing:
        raise _fail(
            f"{pipeline_file}: the fraud generator writes Transaction events, but the "
            f"spec's event schema has no field {', '.join(missing)}"
        )
    return pipeline, scenario


@app.command("fraud")
def fraud(
    count: Annotated[int, typer.Option("--count", "-n", min=0, help="Events to produce.")] = 10_000,
    rate: Annotated[
        float | None,
        typer.Option(
            "--rate",
            min=0,
            help="Events per second of wall clock; 0: as fast as possible (not with --time-scale).",
            show_default="as fast as possible; with --time-scale N: event-time rate x N",
        ),
    ] = None,
    time_scale: Annotated[
        float | None,
        typer.Option(
            "--time-scale",
            metavar="N",
            help="Simulated clock: event time runs N times faster than the wall clock, label "
            "delays included (1440: a day a minute); each event and label is written when it "
            "reaches its time. --rate = --event-time-rate x N: give either, or both if they "
            "agree.",
            show_default="none: labels wait their real delay in wall time",
        ),
    ] = None,
    scenario_file: Annotated[
        Path | None,
        typer.Option(
            "--scenario",
            exists=True,
            dir_okay=False,
            help="Scenario YAML (deploy/pipelines/scenarios/): drift and quality incidents.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same events.")] = 1,
    pipeline_file: Annotated[
        Path, typer.Option("--pipeline", "-p", help="The pipeline spec.")
    ] = Path("deploy/pipelines/fraud.yaml"),
    pipeline_name: Annotated[
        str | None,
        typer.Option(
            "--pipeline-name",
            help="Write to the topics of this pipeline name instead of the "
            "spec's (e.g. a scratch copy for a test).",
            show_default="the spec's name",
        ),
    ] = None,
    bootstrap_servers: BootstrapServers = None,
    registry_url: RegistryUrl = None,
    flush_labels: Annotated[
        bool,
        typer.Option(
            "--flush-labels/--no-flush-labels",
            help="At the end, write the labels not due yet.",
        ),
    ] = True,
    event_time_rate: Annotated[
        float | None,
        typer.Option(
            "--event-time-rate",
            min=0.001,
            help="Events per second of event time.",
            show_default="--rate / N; without --time-scale --rate, or 100",
        ),
    ] = None,
    pii_salt: Annotated[
        str | None,
        typer.Option(
            "--pii-salt",
            envvar="STREAMOPS_PII_SALT",
            show_default=False,
            help="Salt of the PII hashing (the one ingestion uses).",
        ),
    ] = None,
) -> None:
    """Produce COUNT generated card transactions to {p}.events.raw and their chargebacks
    to {p}.labels, PII treated as the spec says."""
    pipeline, scenario = _load(pipeline_file, scenario_file)
    try:
        options = ProduceOptions(
            count=count,
            seed=seed,
            rate=rate,
            event_time_rate=event_time_rate,
            time_scale=time_scale,
            scenario=scenario,
            flush_labels=flush_labels,
        )
    except PaceError as exc:
        raise _fail(str(exc)) from exc
    try:
        kafka = kafka_settings(bootstrap_servers)
        registry = registry_settings(registry_url)
    except ValidationError as exc:
        raise _fail(f"invalid settings: {exc}") from exc
    try:
        producer, topics = open_fraud_producer(
            pipeline, kafka=kafka, registry=registry, salt=pii_salt, name=pipeline_name
        )
    except ProduceSetupError as exc:
        raise _fail(str(exc)) from exc
    console = Console(stderr=True)
    if topics.created:
        console.print(f"created topics: {', '.join(topics.created)}")
    for drift in topics.drifted:
        console.print(f"[yellow]warning[/]: {drift.describe()}")
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[labels]} labels"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(f"producing to {producer.events_topic}", total=count, labels=0)
        report = producer.run(
            options, lambda done, labels: progress.update(task, completed=done, labels=labels)
        )
    Console().print(summary_table(report, scenario))
    if report.interrupted:
        typer.echo(f"interrupted after {report.events:,} of {count:,} events", err=True)
        raise typer.Exit(EXIT_INTERRUPTED)
    if report.delivery_failures:
        typer.echo(
            f"error: {report.delivery_failures} record(s) were not delivered; first: "
            f"{report.first_error}",
            err=True,
        )
        raise typer.Exit(EXIT_UNDELIVERED)


def summary_table(report: ProduceReport, scenario: Scenario | None) -> Table:
    """What a run produced, one row per figure."""
    table = Table(title="streamops produce fraud", show_header=False)
    fraud_rate = report.fraud / report.events if report.events else 0.0
    faults = ", ".join(f"{rule} {n}" for rule, n in sorted(report.faults.items())) or "none"
    phases = "; ".join(f"{name} [{lo}, {hi})" for name, lo, hi in report.phases) or "none"
    rows = [
        ("events", f"{report.events:,} to {report.events_topic}"),
        ("fraud", f"{report.fraud:,} ({fraud_rate:.2%})"),
        (
            "labels",
            f"{report.labels_produced:,} to {report.labels_topic}: {report.labels_on_time:,} "
            f"on time, {report.labels_flushed:,} flushed at the end; "
            f"{report.labels_pending:,} pending",
        ),
        ("event time", _event_time_span(report)),
        ("time scale", _time_scale(report.time_scale)),
        ("faults injected", f"{sum(report.faults.values()):,} ({faults})"),
        ("scenario", f"{scenario.name}: {phases}" if scenario else "none"),
        ("delivered", f"{report.delivered:,}, {report.delivery_failures:,} failed"),
        ("rate", f"{report.events_per_second:,.0f} events/s over {report.elapsed_s:.1f} s"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def _event_time_span(report: ProduceReport) -> str:
    """First and last event's event time, and the span between them."""
    if report.first_event_ms is None or report.last_event_ms is None:
        return "no events"
    first_ms, last_ms = report.first_event_ms, report.last_event_ms
    first, last = (
        datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
        for ms in (first_ms, last_ms)
    )
    return f"{first} to {last} UTC ({_duration((last_ms - first_ms) / 1000)})"


def _time_scale(scale: float | None) -> str:
    """The simulated clock's speed, in event time per wall-clock minute."""
    if scale is None:
        return "none: labels waited their real delay in wall time"
    return f"{scale:,g}x: a wall-clock minute was {_duration(60 * scale)} of event time"


def _duration(seconds: float) -> str:
    """``seconds`` in the unit that reads best: s, min, h or days."""
    for unit, size in (("days", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:,.1f} {unit}"
    return f"{seconds:,.1f} s"
