"""The options every `streamops produce EXAMPLE` command takes, written once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Count = Annotated[int, typer.Option("--count", "-n", min=0, help="Events to produce.")]
Rate = Annotated[
    float | None,
    typer.Option(
        "--rate",
        min=0,
        help="Events per second of wall clock; 0: as fast as possible (not with --time-scale).",
        show_default="as fast as possible; with --time-scale N: event-time rate x N",
    ),
]
TimeScale = Annotated[
    float | None,
    typer.Option(
        "--time-scale",
        metavar="N",
        help="Simulated clock: event time runs N times faster than the wall clock, label "
        "delays included (1440: a day a minute); each event and label is written when it "
        "reaches its time. --rate = --event-time-rate x N: give either, or both if they "
        "agree.",
        show_default="none: labels wait their real delay in wall time",
    ),
]
ScenarioFile = Annotated[
    Path | None,
    typer.Option(
        "--scenario",
        exists=True,
        dir_okay=False,
        help="Scenario YAML (deploy/pipelines/scenarios/): drift and quality incidents.",
    ),
]
Seed = Annotated[int, typer.Option("--seed", help="Same seed, same events.")]
PipelineFile = Annotated[Path, typer.Option("--pipeline", "-p", help="The pipeline spec.")]
PipelineName = Annotated[
    str | None,
    typer.Option(
        "--pipeline-name",
        help="Write to the topics of this pipeline name instead of the "
        "spec's (e.g. a scratch copy for a test).",
        show_default="the spec's name",
    ),
]
FlushLabels = Annotated[
    bool,
    typer.Option(
        "--flush-labels/--no-flush-labels",
        help="At the end, write the labels not due yet.",
    ),
]
EventTimeRate = Annotated[
    float | None,
    typer.Option(
        "--event-time-rate",
        min=0.001,
        help="Events per second of event time.",
        show_default="--rate / N; without --time-scale --rate, or the example's own "
        "(fraud 100, delivery 1)",
    ),
]
PiiSalt = Annotated[
    str | None,
    typer.Option(
        "--pii-salt",
        envvar="STREAMOPS_PII_SALT",
        show_default=False,
        help="Salt of the PII hashing (the one ingestion uses).",
    ),
]
