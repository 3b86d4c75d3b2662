"""`streamops produce EXAMPLE`: generated events and their labels into a pipeline.

One subcommand per example: ``fraud`` (card transactions, chargebacks days later) and
``delivery`` (food-delivery orders, the delivery time in minutes once the food arrives).
Registered on the root `streamops` app through the ``streamops.cli`` entry point
(`register`), so the core library does not carry the examples.

Exit code 0: everything delivered; 1: some records were not delivered; 2: could not
start (bad arguments, spec or scenario, no PII salt, cluster or registry unreachable);
130: interrupted (what was produced is still delivered and summarised).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from streamops.cli.options import BootstrapServers, RegistryUrl, kafka_settings, registry_settings
from streamops.pipeline import Pipeline, SpecError, load_pipeline
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.topics import EnsureReport
from streamops_examples.connect import ProduceSetupError, open_producer
from streamops_examples.delivery.generator import EVENT_FIELDS as ORDER_FIELDS
from streamops_examples.delivery.produce import DeliveryOptions, DeliveryProducer
from streamops_examples.delivery.scenarios import load_scenario as load_delivery_scenario
from streamops_examples.fraud.clock import PaceError
from streamops_examples.fraud.generator import EVENT_FIELDS as TRANSACTION_FIELDS
from streamops_examples.fraud.produce import FraudProducer, ProduceOptions
from streamops_examples.fraud.scenarios import load_scenario
from streamops_examples.options import (
    Count,
    EventTimeRate,
    FlushLabels,
    PiiSalt,
    PipelineFile,
    PipelineName,
    Rate,
    ScenarioFile,
    Seed,
    TimeScale,
)
from streamops_examples.produce_loop import PacedOptions, PacedProducer, PacedReport
from streamops_examples.scenario_segments import ScenarioError
from streamops_examples.summary import finish_run, summary_table

EXIT_ERROR = 2

app = typer.Typer(help="Produce example data into a pipeline's topics.", no_args_is_help=True)
S = TypeVar("S")


R = TypeVar("R", bound=PacedReport)
Opts = TypeVar("Opts", bound=PacedOptions[Any])
P = TypeVar("P", bound=PacedProducer[Any, Any, Any])
open_fraud_producer = partial(open_producer, FraudProducer)
open_delivery_producer = partial(open_producer, DeliveryProducer)
Progressed = Callable[[int, int], None]  # (events produced, labels produced)


@app.callback()
def _group() -> None:
    """Produce example data into a pipeline's topics."""  # keeps the examples subcommands


def register(root: typer.Typer) -> None:
    """Add ``streamops produce`` (one subcommand per example) to the root ``streamops`` app."""
    root.add_typer(app, name="produce")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_ERROR)


def _load(
    pipeline_file: Path,
    scenario_file: Path | None,
    load_scenario: Callable[[Path], S],
    fields: tuple[str, ...],
    writes: str,
) -> tuple[Pipeline, S | None]:
    """The spec and the scenario; exit 2 unless the spec's events have the generator's
    ``fields`` (``writes`` says which generator, for the message)."""
    try:
        pipeline = load_pipeline(pipeline_file)
        scenario = load_scenario(scenario_file) if scenario_file is not None else None
    except (SpecError, ScenarioError) as exc:
        raise _fail(str(exc)) from exc
    missing = sorted(set(fields) - {f["name"] for f in pipeline.event_schema["fields"]})
    if missing:
        raise _fail(
            f"{pipeline_file}: the {writes}, but the "
            f"spec's event schema has no field {', '.join(missing)}"
        )
    return pipeline, scenario


def _clusters(
    bootstrap_servers: str | None, registry_url: str | None
) -> tuple[KafkaSettings, SchemaRegistrySettings]:
    try:
        return kafka_settings(bootstrap_servers), registry_settings(registry_url)
    except ValidationError as exc:
        raise _fail(f"invalid settings: {exc}") from exc


def _paced(
    options_type: Callable[..., Opts],
    count: int,
    seed: int,
    rate: float | None,
    event_time_rate: float | None,
    time_scale: float | None,
    scenario: object,
    flush_labels: bool,
) -> Opts:
    """The example's options; exit 2 when the rates contradict each other."""
    try:
        return options_type(
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


def _open(
    opener: Callable[..., tuple[P, EnsureReport]],
    pipeline: Pipeline,
    name: str | None,
    salt: str | None,
    kafka: KafkaSettings,
    registry: SchemaRegistrySettings,
) -> tuple[P, EnsureReport]:
    """The example's producer (``opener``: `open_producer` for it); exit 2 when it cannot
    start."""
    try:
        return opener(pipeline, kafka=kafka, registry=registry, salt=salt, name=name)
    except ProduceSetupError as exc:
        raise _fail(str(exc)) from exc


@app.command("fraud")
def produce_fraud(
    count: Count = 10_000,
    rate: Rate = None,
    time_scale: TimeScale = None,
    scenario_file: ScenarioFile = None,
    seed: Seed = 1,
    pipeline_file: PipelineFile = Path("deploy/pipelines/fraud.yaml"),
    pipeline_name: PipelineName = None,
    bootstrap_servers: BootstrapServers = None,
    registry_url: RegistryUrl = None,
    flush_labels: FlushLabels = True,
    event_time_rate: EventTimeRate = None,
    pii_salt: PiiSalt = None,
) -> None:
    """Produce COUNT generated card transactions to {p}.events.raw and their chargebacks
    to {p}.labels, PII treated as the spec says."""
    pipeline, scenario = _load(
        pipeline_file,
        scenario_file,
        load_scenario,
        TRANSACTION_FIELDS,
        "fraud generator writes Transaction events",
    )
    options = _paced(
        ProduceOptions, count, seed, rate, event_time_rate, time_scale, scenario, flush_labels
    )
    kafka, registry = _clusters(bootstrap_servers, registry_url)
    producer, topics = _open(
        open_fraud_producer, pipeline, pipeline_name, pii_salt, kafka, registry
    )
    report = _produce(producer.events_topic, topics, count, lambda p: producer.run(options, p))
    share = report.fraud / report.events if report.events else 0.0
    outcome = ("fraud", f"{report.fraud:,} ({share:.2%})")
    named = scenario.name if scenario else None
    finish_run(report, count, summary_table("fraud", report, named, outcome))


@app.command("delivery")
def produce_delivery(
    count: Count = 10_000,
    rate: Rate = None,
    time_scale: TimeScale = None,
    scenario_file: ScenarioFile = None,
    seed: Seed = 1,
    pipeline_file: PipelineFile = Path("deploy/pipelines/delivery.yaml"),
    pipeline_name: PipelineName = None,
    bootstrap_servers: BootstrapServers = None,
    registry_url: RegistryUrl = None,
    flush_labels: FlushLabels = True,
    event_time_rate: EventTimeRate = None,
    pii_salt: PiiSalt = None,
) -> None:
    """Produce COUNT generated food-delivery orders to {p}.events.raw and, as each
    delivery ends, its time in minutes to {p}.labels, PII treated as the spec says."""
    pipeline, scenario = _load(
        pipeline_file,
        scenario_file,
        load_delivery_scenario,
        ORDER_FIELDS,
        "delivery generator writes Order events",
    )
    options = _paced(
        DeliveryOptions, count, seed, rate, event_time_rate, time_scale, scenario, flush_labels
    )
    kafka, registry = _clusters(bootstrap_servers, registry_url)
    producer, topics = _open(
        open_delivery_producer, pipeline, pipeline_name, pii_salt, kafka, registry
    )
    report = _produce(producer.events_topic, topics, count, lambda p: producer.run(options, p))
    outcome = ("delivery time", f"{report.mean_minutes:.1f} min on average")
    named = scenario.name if scenario else None
    finish_run(report, count, summary_table("delivery", report, named, outcome))


def _produce(
    events_topic: str, topics: EnsureReport, count: int, run: Callable[[Progressed], R]
) -> R:
    """Run a producer (``run``, given a progress callback) under a progress bar, after
    saying which topics were created and which differ from the catalog."""
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
        task = progress.add_task(f"producing to {events_topic}", total=count, labels=0)
        return run(lambda done, labels: progress.update(task, completed=done, labels=labels))
