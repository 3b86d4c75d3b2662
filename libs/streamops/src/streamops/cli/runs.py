"""`streamops runs P`: the training runs of a pipeline, from ``{p}.runs``.

Exit 0: listed (also when there is none yet); 2: could not read (bad arguments, cluster
or registry unreachable, topic missing).
"""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError

from streamops.cli.models import EXIT_ERROR, Pipeline
from streamops.cli.options import BootstrapServers, RegistryUrl, kafka_settings, registry_settings
from streamops.cli.render import runs_table
from streamops.registry import RegistryError, read_runs
from streamops.topics import TopicError


def runs(
    pipeline: Pipeline,
    model: Annotated[str | None, typer.Option("--model", help="Only this model's runs.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="The most recent N runs.")] = 20,
    bootstrap_servers: BootstrapServers = None,
    registry_url: RegistryUrl = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds to wait for the cluster.")
    ] = 30.0,
) -> None:
    """List PIPELINE's training runs, oldest first: trigger, duration, outcome, version,
    holdout metrics, then the reason of each."""
    try:
        kafka, registry = kafka_settings(bootstrap_servers), registry_settings(registry_url)
        found = read_runs(pipeline, kafka, registry, timeout_s=timeout)
    except (ValidationError, TopicError, RegistryError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_ERROR) from exc
    found = [run for run in found if model is None or run["model_name"] == model][-limit:]
    if not found:
        typer.echo(f"no training runs of {pipeline}{f' model {model}' if model else ''} yet")
        return
    typer.echo(runs_table(found))
