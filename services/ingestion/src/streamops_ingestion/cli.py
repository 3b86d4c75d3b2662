"""`streamops ingest FILE`: registered on the root `streamops` app through an entry point.

Kept light: the root CLI imports this module on every `streamops` command, so the real work
(pyarrow, Kafka) is imported only when `ingest` runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from streamops.cli.options import BootstrapServers, RegistryUrl


def register(app: typer.Typer) -> None:
    """Add the ``ingest`` command to the root ``streamops`` app."""
    app.command("ingest")(ingest)


def ingest(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV (header row), Parquet or JSONL file; .gz/.bz2/.zst/.lz4 too.",
            exists=True,
            dir_okay=False,
            readable=True,
            show_default=False,
        ),
    ],
    pipeline: Annotated[
        Path,
        typer.Option(
            "--pipeline",
            "-p",
            help="The pipeline spec, e.g. deploy/pipelines/fraud.yaml.",
            exists=True,
            dir_okay=False,
            show_default=False,
        ),
    ],
    file_format: Annotated[
        Literal["csv", "parquet", "jsonl"] | None,
        typer.Option("--format", help="File format.", show_default="from the extension"),
    ] = None,
    bootstrap_servers: BootstrapServers = None,
    registry_url: RegistryUrl = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="Stamped into the source field of rows that have none.",
            show_default="file:<file name>",
        ),
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option(
            "--rejects",
            help="Write every rejected row with its reasons here (JSONL; PII fields treated).",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    show_rejected: Annotated[
        int, typer.Option("--show-rejected", min=0, help="Rejected rows shown in the summary.")
    ] = 5,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Progress bar (on a terminal).")
    ] = True,
) -> None:
    """Produce the rows of FILE to the pipeline's events.raw topic, checked like HTTP events.

    Rows that do not fit the schema are rejected and explained; they alone are not a failure.
    Exit code 0: every valid row is in Kafka; 1: the file could not be read to its end or
    Kafka did not acknowledge some rows; 2: could not start (nothing was produced).
    """
    from rich.console import Console

    from streamops_ingestion.files.command import IngestOptions, run_ingest

    options = IngestOptions(
        file=file,
        pipeline=pipeline,
        file_format=file_format,
        bootstrap_servers=bootstrap_servers,
        registry_url=registry_url,
        source=source,
        rejects=rejects,
        show_rejected=show_rejected,
        progress=progress,
    )
    code = run_ingest(options, Console(), Console(stderr=True))
    raise typer.Exit(code)
