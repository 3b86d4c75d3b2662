"""`streamops models list|show|promote|rollback|retire|refresh`: a pipeline's model registry.

Everything is read from ``{p}.models`` and ``{p}.deployments`` (streamops.registry); an
action is checked against the state read and appended to ``{p}.deployments`` with its
actor, its reason and the newest event time of ``{p}.features``
(`streamops.dataset.newest`: a promotion's probation judges the events from it on).
Exit 0: done; 1: refused (unknown model or version, an action the state does not allow);
2: could not run (bad arguments, cluster or registry unreachable, topics missing).
"""

from __future__ import annotations

import datetime
import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from pydantic import ValidationError

from streamops.cli.options import BootstrapServers, RegistryUrl, kafka_settings, registry_settings
from streamops.cli.render import history_table, version_table, versions_table
from streamops.dataset import DatasetError
from streamops.dataset.newest import newest_event_time
from streamops.registry import (
    Action,
    ActionRefusedError,
    ModelRegistry,
    RegistryError,
    RegistryPublisher,
    UnknownModelError,
    UnknownVersionError,
    decide,
)
from streamops.settings import KafkaSettings
from streamops.topics import TopicError, TopicNames

EXIT_REFUSED = 1
EXIT_ERROR = 2

app = typer.Typer(help="The model registry of a pipeline (its Kafka topics).", no_args_is_help=True)

Pipeline = Annotated[str, typer.Argument(help="Pipeline name, e.g. 'fraud'.", show_default=False)]
Version = Annotated[int, typer.Argument(min=1, help="The model version.", show_default=False)]
Model = Annotated[
    str | None,
    typer.Option("--model", help="The model; needed when the pipeline has several."),
]
Reason = Annotated[
    str, typer.Option("--reason", help="Why, in one sentence: kept in the audit log.")
]
Actor = Annotated[
    str | None,
    typer.Option("--actor", help="Who decides.", show_default="the login name"),
]
Timeout = Annotated[
    float, typer.Option("--timeout", min=0.1, help="Seconds to wait for the cluster to answer.")
]


def _fail(message: str, code: int = EXIT_ERROR) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def _registry(
    pipeline: str, bootstrap_servers: str | None, registry_url: str | None, timeout: float
) -> Iterator[ModelRegistry]:
    """The registry read to its current end; errors become exit codes."""
    try:
        kafka, registry = kafka_settings(bootstrap_servers), registry_settings(registry_url)
        opened = ModelRegistry(pipeline, kafka, registry, timeout_s=timeout)
    except (ValidationError, TopicError) as exc:
        raise _fail(str(exc)) from exc
    try:
        opened.refresh()
        yield opened
    except (UnknownModelError, UnknownVersionError, ActionRefusedError) as exc:
        raise _fail(str(exc), EXIT_REFUSED) from exc
    except RegistryError as exc:
        where = f"bootstrap servers {kafka.bootstrap_servers}, registry {registry.url}"
        raise _fail(f"{exc} ({where})") from exc
    finally:
        opened.close()


@app.command("list")
def list_versions(
    pipeline: Pipeline,
    model: Model = None,
    bootstrap_servers: BootstrapServers = None,
    registry_url: RegistryUrl = None,
    timeout: Timeout = 30.0,
) -> None:
    """The published versions of PIPELINE's model with their roles, newest first."""
    with _registry(pipeline, bootstrap_servers, registry_url, timeout) as registry:
        state = registry.model(model)
    typer.echo(f"{state.name} ({registry.topics.models})")
    typer.echo(versions_table(state))


@app.command()
def show(
    pipeline: Pipeline,
    version: Version,
    model: Model = None,
    bootstrap_servers: BootstrapServers = None,
    registry_url: RegistryUrl = None,
    timeout: Timeout = 30.0,
) -> None:
    """One version's record (without its artifact) and every deployment event about it."""
    with _registry(pipeline, bootstrap_servers, registry_url, timeout) as registry:
        state = registry.model(model)
        record = registry.version(state.name, version)
    typer.echo(version_table(state, record))
    typer.echo("")
    typer.echo(history_table(state, version))


def _act(
    action: Action,
    pipeline: str,
    version: int | None,
    *,
    model: str | None,
    actor: str | None,
    reason: str,
    bootstrap_servers: str | None,
    registry_url: str | None,
    timeout: float,
) -> None:
    """Decide ``action`` on the state read, append it to ``{p}.deployments``, say what changed."""
    with _registry(pipeline, bootstrap_servers, registry_url, timeout) as registry:
        state = registry.model(model)
        kafka, settings = kafka_settings(bootstrap_servers), registry_settings(registry_url)
        event = decide(
            state,
            action,
            version,
            actor=actor or _login(),
            reason=reason,
            decided_at=datetime.datetime.now(datetime.UTC),
            event_time=_newest_event(kafka, pipeline, timeout),
        )
        with RegistryPublisher(pipeline, kafka, settings, timeout_s=timeout) as publisher:
            publisher.record_deployment(event)
    before = event["previous_champion_version"]
    was = f" (champion was v{before})" if before is not None else ""
    typer.echo(
        f"{action.lower()} {state.name} v{event['version']}: now {event['role']}{was}; "
        f"event {event['deployment_id']} appended to {registry.topics.deployments}"
    )


def _newest_event(kafka: KafkaSettings, pipeline: str, timeout: float) -> datetime.datetime | None:
    """The newest event time of the pipeline's features topic; None (said on stderr) when
    it has none or cannot be read: a promotion is then judged from its training window."""
    topic = TopicNames(pipeline).features
    try:
        newest = newest_event_time(kafka, topic, timeout)
    except DatasetError as exc:
        typer.echo(f"note: no event time for the record, {topic} unread: {exc}", err=True)
        return None
    if newest is None:
        typer.echo(f"note: no event time for the record, {topic} has no records", err=True)
    return newest


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a bare container
        return "operator"


@app.command()
def promote(
    pipeline: Pipeline,
    version: Version,
    reason: Reason,
    model: Model = None,
    actor: Actor = None,
    bootstrap_servers: BootstrapServers = None,
    registry_url: RegistryUrl = None,
    timeout: Timeout = 30.0,
) -> None:
    """Make VERSION the champion; the current champion is retired (and can be rolled back to)."""
    _act(
        "PROMOTE",
        pipeline,
        version,
        model=model,
        actor=actor,
        reason=reason,
        bootstrap_servers=bootstrap_servers,
        registry_url=registry_url,
        timeout=timeout,
    )


@app.command()
def rollback(
    pipeline: Pipeline,
    reason: Reason,
    version: Annotated[
        int | None,
        typer.Argument(min=1, help="An earlier champion.", show_default="the one before"),
    ] = None,
    model: Model = None,
    actor: Actor = None,
    bootstrap_servers: BootstrapServers = None,
    registry_url: RegistryUrl = None,
    timeout: Timeout = 30.0,
) -> None:
    """Make an earlier champion (the previous one unless VERSION says) the champion again."""
    _act(
        "ROLLBACK",
        pipeline,
        version,
        model=model,
        actor=actor,
        reason=reason,
        bootstrap_servers=bootstrap_servers,
        registry_url=registry_url,
        timeout=timeout,
    )


@app.command()
def retire(
    pipeline: Pipeline,
    version: Version,
    reason: Reason,
    model: Model = None,
    actor: Actor = None,
    bootstrap_servers: BootstrapServers = None,
    registry_url: RegistryUrl = None,
    timeout: Timeout = 30.0,
) -> None:
    """Stop serving VERSION (not the champion: promote or roll back to another first)."""
    _act(
        "RETIRE",
        pipeline,
        version,
        model=model,
        actor=actor,
        reason=reason,
        bootstrap_servers=bootstrap_servers,
        registry_url=registry_url,
        timeout=timeout,
    )


@app.command()
def refresh(
    pipeline: Pipeline,
    reason: Reason,
    model: Model = None,
    actor: Actor = None,
    bootstrap_servers: BootstrapServers = None,
    registry_url: RegistryUrl = None,
    timeout: Timeout = 30.0,
) -> None:
    """Refresh the champion's reference: monitoring takes the traffic of the next window it
    judges as what the champion's live data is compared with (e.g. after a covariate drift
    the champion handles), and its drift alerts resolve once the traffic matches it."""
    _act(
        "REFRESH",
        pipeline,
        None,
        model=model,
        actor=actor,
        reason=reason,
        bootstrap_servers=bootstrap_servers,
        registry_url=registry_url,
        timeout=timeout,
    )
