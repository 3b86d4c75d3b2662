"""The `streamops` command line.

Services add to it without the library importing them: an entry point in the group
``streamops.cli`` is a function that registers commands on the root app (e.g.
``streamops ingest``); one in ``streamops.services`` is what ``streamops run NAME`` runs.
"""

from __future__ import annotations

import logging
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer
from confluent_kafka import KafkaError, KafkaException

from streamops.cli import dataset, lineage, models, runs, schemas, spec, status, topics
from streamops.runtime.calls import TransactionStuck

log = logging.getLogger(__name__)

app = typer.Typer(
    name="streamops",
    help="streamops: a closed-loop DataOps + MLOps system on Apache Kafka.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(schemas.app, name="schemas")
app.add_typer(topics.app, name="topics")
app.add_typer(spec.app, name="spec")
app.add_typer(dataset.app, name="dataset")
app.add_typer(models.app, name="models")
app.command("runs")(runs.runs)
app.command("lineage")(lineage.lineage)
app.command("status")(status.status)


@app.command("run")
def run(
    service: Annotated[str, typer.Argument(help="ingestion, validation, ...")],
    pipeline: Annotated[Path, typer.Option("--pipeline", "-p", help="The pipeline spec.")] = Path(
        "deploy/pipelines/fraud.yaml"
    ),
    tag: Annotated[
        str | None,
        typer.Option(
            "--tag",
            hidden=True,
            help="Free text on the command line by which a supervisor (the local launcher) "
            "recognises its process.",
        ),
    ] = None,
) -> None:
    """Run one service of a pipeline until SIGTERM.

    Exit codes: 0 stopped by a signal; 2 cannot start (a bad setting or spec, named);
    1 stopped by a failure its supervisor answers by starting it again (crash-only: a
    fatal Kafka error, a transaction that cannot be ended), said in one line; 1 with a
    traceback for anything else."""
    found = {ep.name: ep for ep in entry_points(group="streamops.services")}
    if service not in found:
        known = ", ".join(sorted(found)) or "none installed"
        typer.echo(f"unknown service {service!r}; installed: {known}", err=True)
        raise typer.Exit(2)
    try:
        found[service].load()(pipeline)
    except (TransactionStuck, KafkaException) as exc:
        error = exc.args[0] if exc.args else None
        if isinstance(exc, KafkaException) and not (
            isinstance(error, KafkaError) and error.fatal()
        ):
            raise  # not one a restart answers: its traceback says where it came from
        log.debug("%s stopped", service, exc_info=True)  # the stack, for who asks for it
        reason = error.str() if isinstance(error, KafkaError) else str(exc)
        typer.echo(f"{service}: stopped: {reason} (exit 1)", err=True)
        raise typer.Exit(1) from None


for _extension in entry_points(group="streamops.cli"):
    try:
        _extension.load()(app)
    except Exception as _exc:  # one broken service install must not take the whole CLI down
        typer.echo(f"streamops: the {_extension.name!r} commands failed to load: {_exc}", err=True)


def main() -> None:
    """Console-script entry point."""
    app()
