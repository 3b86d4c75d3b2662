"""`streamops train P` and `streamops retraining pause|resume P`: requests to the training
service, appended to ``{p}.control`` with who asked and why (an audit log as well).

The service takes them up within its poll interval: a TRAIN request starts a job even while
retraining is paused or cooling down; PAUSE_RETRAINING holds every automatic job until a
RESUME_RETRAINING. Exit 0: the request is written; 2: it could not be.
"""

from __future__ import annotations

import datetime
import getpass
import uuid
from typing import Annotated

import typer
from pydantic import ValidationError

from streamops.cli.options import BootstrapServers, RegistryUrl, kafka_settings, registry_settings
from streamops.contracts.types import ControlAction
from streamops.registry import RegistryError, RegistryPublisher
from streamops.topics import TopicError

Pipeline = Annotated[str, typer.Argument(help="Pipeline name, e.g. 'fraud'.", show_default=False)]
Reason = Annotated[str, typer.Option("--reason", help="Why, in one sentence: kept in the log.")]
Actor = Annotated[
    str | None, typer.Option("--actor", help="Who asks.", show_default="the login name")
]

retraining = typer.Typer(help="Pause or resume automatic retraining.", no_args_is_help=True)


def send(
    pipeline: str,
    action: ControlAction,
    actor: str | None,
    reason: str,
    bootstrap_servers: str | None,
    registry_url: str | None,
) -> str:
    """Write one request; its id. Errors become exit 2 with the reason."""
    if not reason.strip():
        typer.echo("error: --reason must say why", err=True)
        raise typer.Exit(2)
    request_id = str(uuid.uuid4())
    try:
        kafka, registry = kafka_settings(bootstrap_servers), registry_settings(registry_url)
        with RegistryPublisher(pipeline, kafka, registry) as publisher:
            publisher.record_request(
                {
                    "request_id": request_id,
                    "pipeline": pipeline,
                    "action": action,
                    "actor": actor or getpass.getuser(),
                    "reason": reason,
                    "requested_at": datetime.datetime.now(datetime.UTC),
                }
            )
    except (ValidationError, TopicError, RegistryError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    return request_id


def train(
    pipeline: Pipeline,
    reason: Reason = "asked by hand",
    actor: Actor = None,
    bootstrap_servers: BootstrapServers = None,
    registry_url: RegistryUrl = None,
) -> None:
    """Ask the training service to train the pipeline's model now."""
    request = send(pipeline, "TRAIN", actor, reason, bootstrap_servers, registry_url)
    typer.echo(
        f"training requested for {pipeline} (request {request}); "
        f"follow it with: streamops runs {pipeline}"
    )


@retraining.command("pause")
def pause(
    pipeline: Pipeline,
    reason: Reason = "paused by hand",
    actor: Actor = None,
    bootstrap_servers: BootstrapServers = None,
    registry_url: RegistryUrl = None,
) -> None:
    """Start no automatic training job until resumed (streamops train still works)."""
    send(pipeline, "PAUSE_RETRAINING", actor, reason, bootstrap_servers, registry_url)
    typer.echo(f"automatic retraining of {pipeline} paused")


@retraining.command("resume")
def resume(
    pipeline: Pipeline,
    reason: Reason = "resumed by hand",
    actor: Actor = None,
    bootstrap_servers: BootstrapServers = None,
    registry_url: RegistryUrl = None,
) -> None:
    """Retrain automatically again, as the spec's retraining section says."""
    send(pipeline, "RESUME_RETRAINING", actor, reason, bootstrap_servers, registry_url)
    typer.echo(f"automatic retraining of {pipeline} resumed")


def register(app: typer.Typer) -> None:
    """The training commands of the `streamops` CLI (entry point ``streamops.cli``)."""
    app.command("train")(train)
    app.add_typer(retraining, name="retraining")
