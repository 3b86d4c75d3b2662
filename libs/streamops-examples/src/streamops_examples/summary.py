"""The end of a `streamops produce` run: its summary table and the exit code it earns."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.table import Table

from streamops_examples.produce_loop import PacedReport

EXIT_UNDELIVERED = 1
EXIT_INTERRUPTED = 130


def finish_run(report: PacedReport, count: int, summary: Table) -> None:
    """Print the summary; exit 130 if interrupted, 1 if records were not delivered."""
    Console().print(summary)
    if report.interrupted:
        typer.echo(f"interrupted after {report.events:,} of {count:,} events", err=True)
        raise typer.Exit(EXIT_INTERRUPTED)
    if report.delivery_failures:
        typer.echo(
            f"error: {report.delivery_failures} record(s) were not delivered; first: "
            f"{report.first_error}",
            err=True,
        )
        raise typer.Exit(EXIT_UNDELIVERED)


def summary_table(
    example: str, report: PacedReport, scenario: str | None, outcome: tuple[str, str]
) -> Table:
    """What a run produced, one row per figure; ``outcome`` is the example's own row."""
    table = Table(title=f"streamops produce {example}", show_header=False)
    faults = ", ".join(f"{rule} {n}" for rule, n in sorted(report.faults.items())) or "none"
    phases = "; ".join(f"{name} [{lo}, {hi})" for name, lo, hi in report.phases) or "none"
    rows = [
        ("events", f"{report.events:,} to {report.events_topic}"),
        outcome,
        (
            "labels",
            f"{report.labels_produced:,} to {report.labels_topic}: {report.labels_on_time:,} "
            f"on time, {report.labels_flushed:,} flushed at the end; "
            f"{report.labels_pending:,} pending",
        ),
        ("event time", _event_time_span(report)),
        ("time scale", _time_scale(report.time_scale)),
        ("faults injected", f"{sum(report.faults.values()):,} ({faults})"),
        ("scenario", f"{scenario}: {phases}" if scenario else "none"),
        ("delivered", f"{report.delivered:,}, {report.delivery_failures:,} failed"),
        ("rate", f"{report.events_per_second:,.0f} events/s over {report.elapsed_s:.1f} s"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def _event_time_span(report: PacedReport) -> str:
    """First and last event's event time, and the span between them."""
    if report.first_event_ms is None or report.last_event_ms is None:
        return "no events"
    first_ms, last_ms = report.first_event_ms, report.last_event_ms
    first, last = (
        datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
        for ms in (first_ms, last_ms)
    )
    return f"{first} to {last} UTC ({_duration((last_ms - first_ms) / 1000)})"


def _time_scale(scale: float | None) -> str:
    """The simulated clock's speed, in event time per wall-clock minute."""
    if scale is None:
        return "none: labels waited their real delay in wall time"
    return f"{scale:,g}x: a wall-clock minute was {_duration(60 * scale)} of event time"


def _duration(seconds: float) -> str:
    """``seconds`` in the unit that reads best: s, min, h or days."""
    for unit, size in (("days", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:,.1f} {unit}"
    return f"{seconds:,.1f} s"
