"""`streamops spec check FILE`: validate a pipeline spec and say what it will do."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from streamops.pipeline import SpecError, load_pipeline
from streamops.pipeline.summary import summarize

app = typer.Typer(help="Pipeline specs.", no_args_is_help=True)


@app.command("check")
def check(file: Annotated[Path, typer.Argument(help="The pipeline spec (YAML).")]) -> None:
    """Check a spec and its event schema; print a summary, or every problem with its line."""
    try:
        pipeline = load_pipeline(file)
    except SpecError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(summarize(pipeline))
    typer.echo(f"\n{file}: ok")
