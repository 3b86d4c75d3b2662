"""`streamops ingest FILE`: set-up, a progress bar, the ingest, the summary, the exit code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from confluent_kafka.schema_registry import SchemaRegistryClient
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from streamops.events.errors import EventConfigError
from streamops.events.prepare import INGEST_TIME_FIELD, SOURCE_FIELD, RecordPreparer
from streamops.serde import RegistryUnavailable
from streamops.service import StartupError, ensure_pipeline_topics, read_pipeline, read_settings
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.topics import TopicError
from streamops_ingestion.files.ingest import IngestReport, ingest_rows
from streamops_ingestion.files.readers import FileFormat, RowSource, detect_format, open_source
from streamops_ingestion.files.summary import render_summary
from streamops_ingestion.publish.connect import connect_target, preparer_for
from streamops_ingestion.publish.producer import KafkaEventProducer, producer_config
from streamops_ingestion.settings import IngestionSettings

EXIT_OK = 0
EXIT_INCOMPLETE = 1  # not read to the end, or valid rows Kafka did not acknowledge
EXIT_ERROR = 2

# An ingest run, given the progress callback (position, rows read).
_Work = Callable[[Callable[[int, int], None]], IngestReport]


@dataclass(frozen=True)
class IngestOptions:
    """The command line of `streamops ingest`."""

    file: Path
    pipeline: Path
    file_format: FileFormat | None = None
    bootstrap_servers: str | None = None
    registry_url: str | None = None
    source: str | None = None
    rejects: Path | None = None
    show_rejected: int = 5
    progress: bool = True


def run_ingest(options: IngestOptions, out: Console, err: Console) -> int:
    """Ingest the file; the exit code (0 also when rows were rejected for their data)."""
    rejects: TextIO | None = None
    try:
        settings = read_settings(IngestionSettings)
        kafka = read_settings(KafkaSettings, **_given(bootstrap_servers=options.bootstrap_servers))
        registry = read_settings(SchemaRegistrySettings, **_given(url=options.registry_url))
        pipeline = read_pipeline(options.pipeline)
        preparer = preparer_for(pipeline, settings)
        file_format = options.file_format or detect_format(options.file)
        source = open_source(options.file, file_format, settings.file_chunk_rows)
        check_columns(source.columns, preparer)
        rejects = options.rejects.open("w", encoding="utf-8") if options.rejects else None
        ensure_pipeline_topics(
            kafka,
            pipeline.name,
            partitions=settings.topic_partitions,
            replication_factor=settings.topic_replication_factor,
            timeout_s=30.0,
        )
        registry_client = SchemaRegistryClient(registry.client_config())
        target = connect_target(pipeline, preparer, registry_client, settings)
    except (StartupError, EventConfigError, TopicError, RegistryUnavailable, OSError) as exc:
        if rejects is not None:
            rejects.close()
        err.print(f"error: {exc}", markup=False, highlight=False)
        return EXIT_ERROR

    producer = KafkaEventProducer(producer_config(kafka, settings))
    try:
        report = _with_progress(
            source,
            err,
            options.progress and err.is_terminal,
            lambda on_progress: ingest_rows(
                source,
                target,
                producer,
                source_name=options.source or f"file:{options.file.name}",
                flush_timeout_s=settings.delivery_timeout_s + 5,
                rejects=rejects,
                keep_examples=options.show_rejected,
                on_progress=on_progress,
            ),
        )
    finally:
        if rejects is not None:
            rejects.close()
    out.print(
        render_summary(report, target.topic, options.rejects),
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    return EXIT_OK if report.ok else EXIT_INCOMPLETE


def check_columns(columns: list[str] | None, preparer: RecordPreparer) -> None:
    """A header that can never give a valid row fails the whole file before anything is sent:
    columns the schema does not have, or required fields with no column."""
    if columns is None:
        return
    unknown = [c for c in columns if c not in preparer.fields]
    stamped = {preparer.id_field, INGEST_TIME_FIELD, SOURCE_FIELD}
    missing = [
        f.name
        for f in preparer.fields.values()
        if f.required and f.name not in columns and f.name not in stamped
    ]
    problems = []
    if unknown:
        problems.append(f"columns not in the schema {preparer.schema_name}: {', '.join(unknown)}")
    if missing:
        problems.append(f"required fields with no column: {', '.join(missing)}")
    if problems:
        raise EventConfigError(
            "; ".join(problems) + f" (the schema has: "
            f"{', '.join(preparer.fields)}); nothing was produced"
        )


def _given(**values: str | None) -> dict[str, str]:
    return {k: v for k, v in values.items() if v is not None}


def _with_progress(source: RowSource, console: Console, show: bool, work: _Work) -> IngestReport:
    """Run ``work`` with a progress bar on ``console`` (when ``show``)."""
    columns = [
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=console, disable=not show, transient=True) as progress:
        task = progress.add_task("reading", total=source.total)

        def on_progress(position: int, rows: int) -> None:
            progress.update(task, completed=position, description=f"{rows:,} rows")

        return work(on_progress)
