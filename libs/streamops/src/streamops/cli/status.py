"""`streamops status P`: the live view of a running pipeline (streamops.status).

Topic records and rates, each service's consumer lag, the champion, open alerts (and the
retrain on them when it waits for labelled rows) and the champion's rolling primary metric,
refreshed every ``--interval`` seconds until Ctrl-C; ``--once`` prints one snapshot (rates
over one interval), ``--json`` prints snapshots as JSON lines. Exit 0: shown; 2: could not
(no such spec or pipeline, cluster or registry unreachable).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from streamops.cli.options import BootstrapServers, RegistryUrl, kafka_settings, registry_settings
from streamops.pipeline import Pipeline, SpecError, load_pipeline
from streamops.status import (
    MONITORING_METRICS_URL,
    TRAINING_METRICS_URL,
    StatusError,
    StatusView,
    render_snapshot,
)
from streamops.topics import TopicError, check_pipeline_name

EXIT_ERROR = 2
#: Where ``--spec`` is looked for when not given: the repository's specs.
SPECS_DIR = Path("deploy/pipelines")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_ERROR)


def status(
    pipeline: Annotated[
        str, typer.Argument(help="Pipeline name, e.g. 'fraud'.", show_default=False)
    ],
    spec: Annotated[
        Path | None,
        typer.Option(
            "--spec",
            dir_okay=False,
            help="The pipeline's spec (for its model and primary metric).",
            show_default="deploy/pipelines/PIPELINE.yaml",
        ),
    ] = None,
    interval: Annotated[
        float, typer.Option("--interval", min=0.1, help="Seconds between two looks.")
    ] = 2.0,
    once: Annotated[
        bool, typer.Option("--once", help="Print one snapshot (rates over one interval), exit.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Snapshots as JSON, one a line, instead of tables.")
    ] = False,
    monitoring_url: Annotated[
        str, typer.Option("--monitoring-url", help="The monitoring service's /metrics.")
    ] = MONITORING_METRICS_URL,
    training_url: Annotated[
        str, typer.Option("--training-url", help="The training service's /metrics.")
    ] = TRAINING_METRICS_URL,
    bootstrap_servers: BootstrapServers = None,
    registry_url: RegistryUrl = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds to wait for the cluster to answer.")
    ] = 10.0,
) -> None:
    """The live status of PIPELINE: topic rates, consumer lag, champion, open alerts and the
    rolling primary metric, until Ctrl-C."""
    loaded = _pipeline(pipeline, spec)
    # librdkafka's connection retries and the readers' warnings would scroll through the
    # live view: an unreachable cluster is one error line (the first look fails) instead
    logging.getLogger("streamops").addHandler(logging.NullHandler())
    try:
        kafka, registry = kafka_settings(bootstrap_servers), registry_settings(registry_url)
    except ValidationError as exc:
        raise _fail(f"invalid settings: {exc}") from exc
    with StatusView.connect(
        loaded,
        kafka,
        registry,
        monitoring_url=monitoring_url,
        training_url=training_url,
        timeout_s=timeout,
    ) as view:
        try:
            view.update()  # the first look says whether there is anything to show at all
        except StatusError as exc:
            raise _fail(str(exc)) from exc
        if as_json or once:
            _print(view, interval, once=once, as_json=as_json)
        else:
            view.run(interval)


def _pipeline(name: str, spec: Path | None) -> Pipeline:
    """The spec of pipeline ``name``; exit 2 when it cannot be read or is another pipeline's."""
    try:
        check_pipeline_name(name)
    except TopicError as exc:
        raise _fail(str(exc)) from exc
    file = spec if spec is not None else SPECS_DIR / f"{name}.yaml"
    if spec is None and not file.exists():
        raise _fail(f"no spec for pipeline {name}: {file} does not exist (give --spec FILE)")
    try:
        loaded = load_pipeline(file)
    except SpecError as exc:
        raise _fail(str(exc)) from exc
    if loaded.name != name:
        raise _fail(f"{file} is the spec of pipeline {loaded.name}, not {name}")
    return loaded


def _print(view: StatusView, interval: float, *, once: bool, as_json: bool) -> None:
    """Snapshots printed one after the other: the second look gives the rates."""
    console = Console()
    try:
        while True:
            time.sleep(interval)
            try:
                snapshot = view.update()
            except StatusError as exc:
                if once:
                    raise _fail(str(exc)) from exc
                typer.echo(f"error: {exc}", err=True)
                continue
            if as_json:
                typer.echo(json.dumps(snapshot.as_json()))
            else:
                console.print(render_snapshot(snapshot))
            if once:
                return
    except KeyboardInterrupt:
        return
