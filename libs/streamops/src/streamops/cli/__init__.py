"""The `streamops` command line."""

from __future__ import annotations

import typer

from streamops.cli import schemas, topics

app = typer.Typer(
    name="streamops",
    help="streamops: a closed-loop DataOps + MLOps system on Apache Kafka.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(schemas.app, name="schemas")
app.add_typer(topics.app, name="topics")


def main() -> None:
    """Console-script entry point."""
    app()
