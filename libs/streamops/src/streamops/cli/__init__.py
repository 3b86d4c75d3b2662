"""The `streamops` command line.

Services add to it without the library importing them: an entry point in the group
``streamops.cli`` is a function that registers commands on the root app (e.g.
``streamops ingest``); one in ``streamops.services`` is what ``streamops run NAME`` runs.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer

from streamops.cli import dataset, lineage, models, runs, schemas, spec, status, topics

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
    """Run one service of a pipeline until SIGTERM."""
    found = {ep.name: ep for ep in entry_points(group="streamops.services")}
    if service not in found:
        known = ", ".join(sorted(found)) or "none installed"
        typer.echo(f"unknown service {service!r}; installed: {known}", err=True)
        raise typer.Exit(2)
    found[service].load()(pipeline)


for _extension in entry_points(group="streamops.cli"):
    try:
        _extension.load()(app)
    except Exception as _exc:  # one broken service install must not take the whole CLI down
        typer.echo(f"streamops: the {_extension.name!r} commands failed to load: {_exc}", err=True)


def main() -> None:
    """Console-script entry point."""
    app()
