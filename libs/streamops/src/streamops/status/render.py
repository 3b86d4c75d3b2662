"""A `Snapshot` as rich tables: topics, consumer groups, champion and metric, open alerts
(and the retrain held for their rows)."""

from __future__ import annotations

import datetime

from rich.box import SIMPLE_HEAD
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from streamops.status.snapshot import GroupRow, HeldRetrain, PrimaryMetric, Snapshot

NOT_RUNNING = "not running"
UNREACHABLE = "unreachable"


def render_snapshot(snapshot: Snapshot, note: str | None = None) -> RenderableType:
    """The whole view; ``note`` (e.g. why the last refresh failed) under the title."""
    title = Text.assemble(
        (f"streamops status {snapshot.pipeline}", "bold"), f"  {when(snapshot.taken_at)} UTC"
    )
    parts: list[RenderableType] = [title]
    if note:
        parts.append(Text(note, style="red"))
    # side by side, so that the whole view fits a terminal of ordinary height
    top = Table.grid(padding=(0, 4))
    top.add_row(_topics(snapshot), Group(_groups(snapshot.groups), _model(snapshot)))
    parts += [top, _alerts(snapshot)]
    return Group(*parts)


def when(moment: datetime.datetime | None) -> str:
    """A time as UTC text, to the second; ``-`` for none."""
    if moment is None:
        return "-"
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def metric_text(metric: PrimaryMetric) -> str:
    """``pr_auc of v3: realised 0.8123, estimated 0.7954``, or why there is nothing."""
    if metric.name is None:
        return "no model in the spec"
    if not metric.reachable:
        return f"{metric.name}: monitoring {UNREACHABLE}"
    if metric.version is None:
        return f"{metric.name}: no champion yet"

    def value(number: float | None) -> str:
        return "not yet" if number is None else f"{number:.4f}"

    return (
        f"{metric.name} of v{metric.version}: realised {value(metric.realised)}, "
        f"estimated {value(metric.estimated)}"
    )


def _topics(snapshot: Snapshot) -> Table:
    table = Table(title="topics", title_justify="left", box=SIMPLE_HEAD)
    table.add_column("topic")
    table.add_column("records", justify="right")
    table.add_column("records/s", justify="right")
    for row in snapshot.topics:
        records = "missing" if row.records is None else f"{row.records:,}"
        rate = "-" if row.rate is None else f"{row.rate:,.1f}"
        table.add_row(row.topic, records, rate)
    return table


def _groups(groups: tuple[GroupRow, ...]) -> Table:
    table = Table(title="consumer groups", title_justify="left", box=SIMPLE_HEAD)
    table.add_column("service")
    table.add_column("group")
    table.add_column("state")
    table.add_column("lag", justify="right")
    for row in groups:
        state = Text(NOT_RUNNING, style="yellow") if row.state is None else Text(row.state.lower())
        lag = "-" if row.lag is None else f"{row.lag:,}"
        table.add_row(row.service, row.group, state, lag)
    return table


def _model(snapshot: Snapshot) -> Table:
    table = Table(title="model", title_justify="left", show_header=False, box=SIMPLE_HEAD)
    table.add_column("what")
    table.add_column("value")
    champion = snapshot.champion
    if champion.model is None:
        crowned = "no model in the spec"
    elif champion.version is None:
        crowned = f"{champion.model}: no champion yet"
    else:
        crowned = f"{champion.model} v{champion.version} since {when(champion.since)} UTC"
    table.add_row("champion", crowned)
    table.add_row("primary metric", metric_text(snapshot.metric))
    return table


def _alerts(snapshot: Snapshot) -> RenderableType:
    if not snapshot.alerts:
        return Text("open alerts: none", style="green")
    held = snapshot.held
    if held is not None:
        return Group(_alert_table(snapshot), Text(held_text(held), style="yellow"))
    return _alert_table(snapshot)


def held_text(held: HeldRetrain) -> str:
    """``the retrain on 2 of them waits for labelled rows since their window: 4,210 of
    6,667``."""
    return (
        f"the retrain on {held.alerts} of them waits for labelled rows since their window: "
        f"{held.rows:,} of {held.needed:,}"
    )


def _alert_table(snapshot: Snapshot) -> Table:
    table = Table(
        title=f"open alerts ({len(snapshot.alerts)})", title_justify="left", box=SIMPLE_HEAD
    )
    for column in ("since", "kind", "severity", "subject", "version", "message"):
        table.add_column(column, overflow="fold")
    for alert in snapshot.alerts:
        version = "-" if alert.model_version is None else f"v{alert.model_version}"
        severity = Text(alert.severity, style="red" if alert.severity == "CRITICAL" else "")
        table.add_row(
            when(alert.since), alert.kind, severity, alert.subject, version, alert.message
        )
    return table
