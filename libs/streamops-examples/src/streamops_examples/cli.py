"""`streamops produce fraud`: generated card transactions and chargebacks into a pipeline.

Registered on the root `streamops` app through the ``streamops.cli`` entry point
(`register`), so the core library does not carry the examples.

Exit code 0: everything delivered; 1: some records were not delivered; 2: could not
start (bad arguments, spec or scenario, no PII salt, cluster or registry unreachable);
130: interrupted (what was produced is still delivered and summarised).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from streamops.cli.options import BootstrapServers, RegistryUrl
from streamops.pipeline import Pipeline, SpecError, load_pipeline
from streamops.settings import KafkaSettings, SchemaRegistrySettings
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
        float,
        typer.Option(
            "--rate", min=0, help="Events per second (wall clock); 0: as fast as possible."
        ),
    ] = 0.0,
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
    label_time_scale: Annotated[
        float,
        typer.Option(
            "--label-time-scale",
            min=0,
            help="Multiplies chargeback delays (minutes to days): 1e-4 turns a day into 8.6 s, "
            "0 writes each label right after its event.",
        ),
    ] = 1.0,
    flush_labels: Annotated[
        bool,
        typer.Option(
            "--flush-labels/--no-flush-labels",
            help="At the end, write the labels whose delay has not passed yet.",
        ),
    ] = True,
    event_time_rate: Annotated[
        float | None,
        typer.Option(
            "--event-time-rate",
            min=0.001,
            help="Events per second of event time.",
            show_default="--rate, or 100 with --rate 0",
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
        kafka = (
            KafkaSettings()
            if bootstrap_servers is None
            else KafkaSettings(bootstrap_servers=bootstrap_servers)
        )
        registry = (
            SchemaRegistrySettings()
            if registry_url is None
            else SchemaRegistrySettings(url=registry_url)
        )
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
    options = ProduceOptions(
        count=count,
        seed=seed,
        rate=rate,
        scenario=scenario,
        label_time_scale=label_time_scale,
        flush_labels=flush_labels,
        event_time_rate=event_time_rate,
    )
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
            f"{report.labels_produced:,} to {report.labels_topic}, "
            f"{report.labels_pending:,} pending",
        ),
        ("faults injected", f"{sum(report.faults.values()):,} ({faults})"),
        ("scenario", f"{scenario.name}: {phases}" if scenario else "none"),
        ("delivered", f"{report.delivered:,}, {report.delivery_failures:,} failed"),
        ("rate", f"{report.events_per_second:,.0f} events/s over {report.elapsed_s:.1f} s"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table
