"""`streamops dataset build`: a point-in-time training set of a pipeline, as Parquet.

Exit 0: written; 1: written, but a ``--same-as`` rebuild differs from the old file; 2: not
built (bad spec or arguments, a spec without features or labels, cluster or registry
unreachable, empty topics, no labelled row at the cut-off).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from streamops.cli.options import BootstrapServers, RegistryUrl, kafka_settings, registry_settings
from streamops.dataset import Dataset, DatasetError, DatasetIdentity, build_dataset
from streamops.dataset.errors import ClusterUnavailable
from streamops.dataset.identity import EPOCH, TopicRange
from streamops.dataset.parquet import read_identity, require_pyarrow, write_parquet
from streamops.pipeline import SpecError, load_pipeline

EXIT_DIFFERS = 1
EXIT_ERROR = 2
_MS = timedelta(milliseconds=1)
#: How the summary names the identity's counts (streamops.dataset.join.JoinCounts).
COUNT_NAMES = {
    "features_read": "features records read",
    "features_after_cutoff": "  after the cut-off (not rows)",
    "rows": "rows",
    "positives": "  positives",
    "negatives_by_label": "  negatives by label",
    "negatives_by_delay": "  negatives by delay",
    "unlabelled": "unlabelled by the cut-off (left out)",
    "labels_read": "labels read",
    "labels_after_cutoff": "  known after the cut-off (not used)",
    "labels_ignored": "  not of the spec's kind (ignored)",
}

app = typer.Typer(help="Training sets from a pipeline's log.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_ERROR)


def parse_cutoff(text: str) -> int:
    """``--until``: epoch milliseconds, or ISO-8601 (UTC when it names no offset)."""
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(
            f"--until {text!r}: give ISO-8601 (2026-01-05T10:00:00Z) or epoch milliseconds"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // _MS


@app.command("build")
def build(
    pipeline: Annotated[
        Path, typer.Option("--pipeline", "-p", help="The pipeline spec (YAML).", dir_okay=False)
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The Parquet file to write.", dir_okay=False)
    ],
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            help="Cut-off in event time, ISO-8601 (UTC unless it says) or epoch ms: features "
            "and labels known after it are not used.",
            show_default="the highest event time among the features read",
        ),
    ] = None,
    same_as: Annotated[
        Path | None,
        typer.Option(
            "--same-as",
            dir_okay=False,
            help="Rebuild an earlier dataset: read its offset ranges, at its cut-off.",
        ),
    ] = None,
    bootstrap_servers: BootstrapServers = None,
    registry_url: RegistryUrl = None,
    timeout: Annotated[
        float,
        typer.Option("--timeout", min=0.1, help="Seconds to wait for the cluster to answer."),
    ] = 30.0,
) -> None:
    """Join the pipeline's features with its labels as they were known at the cut-off.

    A row per features record up to the cut-off with a label known by then, or negative
    by the spec's negative_after_delay. The file's metadata carries the offsets read,
    the schema ids, the counts and a content hash.

    Exit 0: written; 1: written, but differs from --same-as; 2: not built.
    """
    if until is not None and same_as is not None:
        raise _fail("--until and --same-as exclude each other: --same-as brings its cut-off")
    if not out.parent.is_dir():
        raise _fail(f"--out {out}: no such directory {out.parent}")
    try:
        require_pyarrow()
        spec = load_pipeline(pipeline)
        old = read_identity(same_as) if same_as is not None else None
        until_ms = parse_cutoff(until) if until is not None else None
        if old is not None:
            until_ms = old.cutoff_ms
        kafka = kafka_settings(bootstrap_servers)
        registry = registry_settings(registry_url)
    except (SpecError, DatasetError, ValueError) as exc:  # ValidationError is a ValueError
        raise _fail(_settings_message(exc)) from exc
    if old is not None and old.pipeline != spec.name:
        raise _fail(f"{same_as} is a dataset of pipeline {old.pipeline}, not {spec.name}")

    # librdkafka logs a refused connection every 50 ms; the error that ends the build
    # says it once, with the addresses
    logging.getLogger("streamops.dataset.read").setLevel(logging.CRITICAL)
    console = Console(stderr=True)
    try:
        with Progress(
            TextColumn("reading {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task(spec.name, total=None)
            dataset = build_dataset(
                spec,
                kafka,
                registry,
                until_ms=until_ms,
                end_offsets=old.end_offsets() if old else None,
                start_offsets=old.start_offsets() if old else None,
                on_progress=lambda done, total: progress.update(task, completed=done, total=total),
                timeout_s=timeout,
            )
    except ClusterUnavailable as exc:
        raise _fail(
            f"{exc} (bootstrap servers {kafka.bootstrap_servers}, registry {registry.url})"
        ) from exc
    except DatasetError as exc:
        raise _fail(str(exc)) from exc
    counts = dataset.identity.counts
    if not dataset.rows:
        raise _fail(
            f"no labelled row at cut-off {dataset.identity.cutoff_iso}: "
            f"{counts['features_read']} features records read, "
            f"{counts['features_after_cutoff']} after the cut-off, "
            f"{counts['unlabelled']} without a label known by then; nothing written"
        )
    write_parquet(dataset, out)
    Console().print(summary_table(dataset, out))
    typer.echo(f"content hash: {dataset.identity.content_hash}")
    if old is not None:
        _compare(old, dataset.identity, same_as)


def _settings_message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return f"invalid settings: {exc}"
    return str(exc)


def _compare(old: DatasetIdentity, new: DatasetIdentity, old_file: Path | None) -> None:
    if new.content_hash == old.content_hash:
        typer.echo(f"same content as {old_file}")
        return
    why = []
    for role, was, now in (
        ("features", old.features, new.features),
        ("labels", old.labels, new.labels),
    ):
        if dict(was.offsets) != dict(now.offsets):
            why.append(f"{role} read {_ranges(now)}, not {_ranges(was)} (retention?)")
    if old.columns != new.columns:
        why.append("the columns differ (the spec's features or labels changed)")
    typer.echo(
        f"the rebuild differs from {old_file}: {'; '.join(why) or 'the records differ'}",
        err=True,
    )
    raise typer.Exit(EXIT_DIFFERS)


def _ranges(topic: TopicRange) -> str:
    return " ".join(f"{p}:[{s},{e})" for p, (s, e) in sorted(topic.offsets.items()))


def summary_table(dataset: Dataset, out: Path) -> Table:
    """What was read and what the training set holds, as a two-column table."""
    identity = dataset.identity
    table = Table(title=f"dataset {out}", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", overflow="fold")
    table.add_row("pipeline", identity.pipeline)
    table.add_row("cut-off", f"{identity.cutoff_iso} ({identity.cutoff_ms})")
    for topic in (identity.features, identity.labels):
        ids = ", ".join(map(str, topic.schema_ids)) or "none"
        bad = f", {topic.undecodable} undecodable (left out)" if topic.undecodable else ""
        table.add_row(
            topic.topic,
            f"offsets {_ranges(topic)}\n{topic.records} records{bad}; schema ids {ids}",
        )
    for name, value in identity.counts.items():
        shown = "n/a (not binary)" if value is None else str(value)
        table.add_row(COUNT_NAMES.get(name, name.replace("_", " ")), shown)
    table.add_row("columns", str(len(dataset.columns)))
    table.add_row("content hash", identity.content_hash)
    return table
