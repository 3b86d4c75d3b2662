"""`streamops topics list|ensure`: the declared topics of a pipeline, and making a cluster match.

``ensure`` exits 0 when every topic is as declared (after creating the missing ones),
1 when drift remains, 2 when it could not check (bad arguments, cluster unreachable or
refusing).
"""

from __future__ import annotations

from typing import Annotated

import typer
from confluent_kafka.admin import AdminClient
from pydantic import ValidationError

from streamops.cli.options import BootstrapServers, kafka_settings
from streamops.topics import (
    DEFAULT_EVENT_PARTITIONS,
    TopicError,
    TopicSpec,
    ensure_topics,
    pipeline_topics,
)

EXIT_DRIFT = 1
EXIT_ERROR = 2

app = typer.Typer(
    help="The Kafka topics of a pipeline: show the catalog, create and check them.",
    no_args_is_help=True,
)

Pipeline = Annotated[str, typer.Argument(help="Pipeline name, e.g. 'fraud'.", show_default=False)]
Partitions = Annotated[
    int, typer.Option("--partitions", min=1, help="Partitions of each event topic.")
]
ReplicationFactor = Annotated[
    int | None,
    typer.Option(
        "--replication-factor",
        help="Replicas per partition (3 in production); omit or -1 for the broker default.",
        show_default="broker default",
    ),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_ERROR)


def _catalog(pipeline: str, partitions: int, replication_factor: int | None) -> list[TopicSpec]:
    try:
        return pipeline_topics(
            pipeline, partitions=partitions, replication_factor=replication_factor
        )
    except TopicError as exc:
        raise _fail(str(exc)) from exc


def render_catalog(specs: list[TopicSpec]) -> str:
    """The declared topics as an aligned text table: name, partitions, replicas, configs."""
    rows = [("topic", "partitions", "replicas", "config")]
    for spec in specs:
        replicas = "default" if spec.replication_factor is None else str(spec.replication_factor)
        config = " ".join(f"{key}={value}" for key, value in sorted(spec.config.items()))
        rows.append((spec.name, str(spec.partitions), replicas, config))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]}".rstrip()
        for row in rows
    )


@app.command("list")
def list_catalog(
    pipeline: Pipeline,
    partitions: Partitions = DEFAULT_EVENT_PARTITIONS,
    replication_factor: ReplicationFactor = None,
) -> None:
    """Print the topics PIPELINE declares, as a table (no cluster needed)."""
    typer.echo(render_catalog(_catalog(pipeline, partitions, replication_factor)))


@app.command()
def ensure(
    pipeline: Pipeline,
    bootstrap_servers: BootstrapServers = None,
    partitions: Partitions = DEFAULT_EVENT_PARTITIONS,
    replication_factor: ReplicationFactor = None,
    apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            help="Fix drift: set differing configs, add missing partitions (never removes any).",
        ),
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds to wait for each cluster request.")
    ] = 30.0,
) -> None:
    """Create PIPELINE's missing topics and report existing ones that differ from the catalog.

    Exit code 0: all as declared; 1: drift remains; 2: could not check.
    """
    specs = _catalog(pipeline, partitions, replication_factor)
    try:
        settings = kafka_settings(bootstrap_servers)
    except ValidationError as exc:
        raise _fail(f"invalid Kafka settings: {exc}") from exc
    # AdminClient's stub wants dict[str, str | int | float | bool]; dict is invariant.
    admin = AdminClient(settings.client_config())
    try:
        report = ensure_topics(admin, specs, apply=apply, timeout_s=timeout)
    except TopicError as exc:
        raise _fail(f"{exc} (bootstrap servers: {settings.bootstrap_servers})") from exc
    typer.echo(report.render())
    if not report.ok:
        raise typer.Exit(EXIT_DRIFT)
