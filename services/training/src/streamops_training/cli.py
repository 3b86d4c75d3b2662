"""`streamops train P` and `streamops retraining pause|resume P`: requests to the training
service, appended to ``{p}.control`` with who asked and why (an audit log as well); and
`streamops models card P N`, a version's model card rebuilt from the log.

The service takes them up within its poll interval: a TRAIN request starts a job even while
retraining is paused or cooling down; PAUSE_RETRAINING holds every automatic job until a
RESUME_RETRAINING. Exit 0: the request is written; 2: it could not be.
"""

from __future__ import annotations

import datetime
import getpass
import uuid
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from streamops.cli.options import BootstrapServers, RegistryUrl, kafka_settings, registry_settings
from streamops.contracts.types import ControlAction
from streamops.dataset import DatasetError
from streamops.pipeline import SpecError, load_pipeline
from streamops.registry import (
    ModelRegistry,
    RegistryError,
    RegistryPublisher,
    UnknownModelError,
    UnknownVersionError,
)
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
    """The training commands of the `streamops` CLI (entry point ``streamops.cli``); the
    card joins the library's ``models`` group, as it is about a registry version."""
    app.command("train")(train)
    app.add_typer(retraining, name="retraining")
    for group in app.registered_groups:
        if group.name == "models" and group.typer_instance is not None:
            group.typer_instance.command("card")(card)


def card(
    pipeline: Pipeline,
    version: Annotated[int, typer.Argument(min=1, help="The model version.", show_default=False)],
    spec: Annotated[
        Path, typer.Option("--spec", help="The pipeline spec the version was trained under.")
    ] = Path("deploy/pipelines/fraud.yaml"),
    out: Annotated[Path, typer.Option("--out", help="Directory of the card files.")] = Path(
        "var/cards"
    ),
    model: Annotated[str | None, typer.Option("--model", help="The model, if several.")] = None,
    bootstrap_servers: BootstrapServers = None,
    registry_url: RegistryUrl = None,
) -> None:
    """Write VERSION's model card (Markdown and HTML), rebuilt from the log: the holdout read
    again at the offsets the version records, scored with its own ONNX artifact."""
    # imported here: scikit-learn and matplotlib take seconds, and every `streamops`
    # command (each service's start among them) loads this module
    from streamops_training.card.render import render_card, write_card
    from streamops_training.cards import card_for, rebuild_holdout

    try:
        loaded = load_pipeline(spec)
    except SpecError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if loaded.name != pipeline:
        typer.echo(f"error: {spec} is the spec of {loaded.name}, not of {pipeline}", err=True)
        raise typer.Exit(2)
    try:
        kafka, registry = kafka_settings(bootstrap_servers), registry_settings(registry_url)
        with ModelRegistry(pipeline, kafka, registry) as opened:
            opened.refresh()
            state = opened.model(model)
            record = opened.version(state.name, version)
            onnx = opened.load_artifact(state.name, version)
        holdout, predictions = rebuild_holdout(loaded, record, onnx, kafka, registry)
    except (UnknownModelError, UnknownVersionError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except (ValidationError, TopicError, RegistryError, DatasetError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    decided = [e for e in state.history if e["version"] == version]
    gates = next((e["gates"] for e in decided if e["gates"]), [])
    role = state.role(version)
    outcome = f"{role.lower()} now" if role else "published, never deployed"
    inputs = card_for(loaded, record, holdout, predictions, gates, outcome, onnx)
    md, html = write_card(render_card(inputs), out)
    typer.echo(f"model card of {state.name} v{version}: {md} and {html}")
