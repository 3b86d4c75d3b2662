"""The demo's self-contained HTML report: the timeline and three plots (inline SVG).

1. the served predictions' primary metric over the stream, each model version in its own
   colour, the drift's onset and the recovery target marked;
2. monitoring's drift scores as it published them (scraped from its /metrics while the
   stream played);
3. the alerts, each from the window that opened it to the one that resolved it (an
   acknowledged alert stays open until then).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure

from streamops_localstack.loop_demo.read import Played
from streamops_localstack.loop_demo.scores import Recovery
from streamops_localstack.loop_demo.timeline import Clocks, Milestone
from streamops_training.card.svg import render_svg

#: colour per model version, as matplotlib's default cycle
_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


@dataclass(frozen=True)
class Scrape:
    """Monitoring's gauges at one moment (wall seconds after the start)."""

    wall_s: float
    max_feature_drift: float | None
    drifted_features: float | None
    prediction_drift: float | None


def _colour(version: int) -> str:
    return _COLOURS[(version - 1) % len(_COLOURS)]


def _metric_plot(recovery: Recovery, clocks: Clocks, onset_ms: int, played: Played) -> str:
    def draw(figure: Figure) -> None:
        ax = figure.subplots()
        for version in sorted({p.version for p in recovery.points}):
            mine = [p for p in recovery.points if p.version == version]
            ax.plot(
                [clocks.hours(p.known_ms) for p in mine],
                [p.value for p in mine],
                ".",
                markersize=3,
                color=_colour(version),
                label=f"served by v{version}",
            )
        ax.axvline(clocks.hours(onset_ms), color="black", linestyle="--", label="drift injected")
        if recovery.target is not None:
            ax.axhline(recovery.target, color="grey", linestyle=":", label="90% of before")
        for d in played.deployments:
            if d["action"] in ("PROMOTE", "ROLLBACK"):
                at = clocks.hours(clocks.event(d["decided_at"]))
                ax.axvline(at, color=_colour(d["version"]), alpha=0.6)
        ax.set_xlabel("stream time (hours of event time; labels known 10 min later)")
        ax.set_ylabel(f"{recovery.metric}, last {recovery.window:,} labelled")
        ax.set_ylim(0, 1)
        ax.legend(loc="lower left", fontsize=7)

    return render_svg(draw, "metric", (7.5, 3.4))


def _drift_plot(scrapes: Sequence[Scrape], clocks: Clocks, onset_ms: int) -> str:
    def draw(figure: Figure) -> None:
        ax = figure.subplots()
        hours = [s.wall_s * clocks.time_scale / 3600 for s in scrapes]
        for name, values in (
            ("largest feature drift score", [s.max_feature_drift for s in scrapes]),
            ("prediction drift (PSI)", [s.prediction_drift for s in scrapes]),
        ):
            ax.plot(hours, [float("nan") if v is None else v for v in values], label=name)
        ax.axvline(clocks.hours(onset_ms), color="black", linestyle="--", label="drift injected")
        twin = ax.twinx()
        twin.step(
            hours,
            [0 if s.drifted_features is None else s.drifted_features for s in scrapes],
            color="grey",
            alpha=0.5,
            where="post",
        )
        twin.set_ylabel("features beyond threshold")
        ax.set_xlabel("stream time when scraped (hours, on the producer's clock)")
        ax.set_ylabel("score of the last judged window")
        ax.legend(loc="upper left", fontsize=7)

    return render_svg(draw, "drift", (7.5, 3.0))


def _alert_plot(played: Played, clocks: Clocks, onset_ms: int) -> str:
    spans: dict[str, tuple[str, float, float | None]] = {}
    for alert, _ in played.alerts:
        at = clocks.hours(int(alert["window"]["end"].timestamp() * 1000))
        if alert["state"] == "OPEN":
            spans[alert["alert_id"]] = (alert["kind"], at, None)
        elif alert["state"] == "RESOLVED" and alert["alert_id"] in spans:
            kind, opened, _ = spans[alert["alert_id"]]
            spans[alert["alert_id"]] = (kind, opened, at)
    kinds = sorted({kind for kind, _, _ in spans.values()})
    ends = [int(a["window"]["end"].timestamp() * 1000) for a, _ in played.alerts]
    end = clocks.hours(max([onset_ms, *ends]))

    def draw(figure: Figure) -> None:
        ax = figure.subplots()
        for kind, opened, closed in spans.values():
            row = kinds.index(kind)
            width = (closed if closed is not None else end) - opened
            ax.barh(
                row, max(width, 0.05), left=opened, color="#d62728" if closed is None else "#ff9896"
            )
        ax.set_yticks(range(len(kinds)), kinds)
        ax.axvline(clocks.hours(onset_ms), color="black", linestyle="--")
        ax.set_xlabel("stream time (hours): from the window that opened it to the one resolving it")

    return render_svg(draw, "alerts", (7.5, 0.8 + 0.35 * max(len(kinds), 1)))


def _row(m: Milestone, clocks: Clocks) -> str:
    return (
        f"<tr><td>{m.wall_s:6.0f} s</td><td>{clocks.hours(m.event_ms):5.2f} h</td>"
        f"<td>{html.escape(m.what)}</td><td>{html.escape(m.detail)}</td></tr>"
    )


def render_report(
    title: str,
    summary: Sequence[str],
    steps: Sequence[Milestone],
    recovery: Recovery,
    played: Played,
    scrapes: Sequence[Scrape],
    clocks: Clocks,
    onset_ms: int,
) -> str:
    """The whole page."""
    lines = "".join(f"<li>{html.escape(s)}</li>" for s in summary)
    rows = "".join(_row(m, clocks) for m in steps)
    plots = [_metric_plot(recovery, clocks, onset_ms, played)]
    if scrapes:
        plots.append(_drift_plot(scrapes, clocks, onset_ms))
    if played.alerts:
        plots.append(_alert_plot(played, clocks, onset_ms))
    figures = "".join(f"<figure>{svg}</figure>" for svg in plots)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; max-width: 60rem; margin: 2rem auto; color: #222; }}
table {{ border-collapse: collapse; font-size: 0.85rem; }}
td, th {{ padding: 0.2rem 0.6rem; border-bottom: 1px solid #ddd; text-align: left; }}
figure {{ margin: 1.5rem 0; }} svg {{ max-width: 100%; height: auto; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<ul>{lines}</ul>
<h2>Timeline</h2>
<table><tr><th>after</th><th>stream time</th><th>what</th><th>detail</th></tr>{rows}</table>
<h2>Plots</h2>
{figures}
</body></html>
"""
