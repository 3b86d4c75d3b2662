"""`streamops lineage P --version N | --prediction ID`: where a model version, or one
prediction, came from, from the log alone.

For a version: trained by which run (why it started, when, what it measured, its gates),
on which offsets of which topics, with which schema ids, under which spec (its hash) and
code, and with what the run told OpenLineage. Read from ``{p}.models``, ``{p}.runs`` and
``{p}.lineage``. For a prediction: the Prediction found on ``{p}.predictions`` (event,
entity, role, source, answer, feature record), then the same for the version that made it.
Exit 0: shown; 1: no such model, version or prediction; 2: could not read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from streamops.cli.models import EXIT_REFUSED, Model, Pipeline, Timeout, _fail, _registry
from streamops.cli.options import BootstrapServers, RegistryUrl, kafka_settings, registry_settings
from streamops.cli.render import metrics, table, when
from streamops.contracts.types import GateResult, ModelVersion, Prediction, TrainingRun
from streamops.registry import RegistryError, read_runs
from streamops.registry.follow import LogFollower
from streamops.registry.lineage import decode_run_event
from streamops.registry.predictions import find_prediction
from streamops.settings import KafkaSettings
from streamops.topics import TopicError, TopicNames


def lineage(
    pipeline: Pipeline,
    version: Annotated[
        int | None, typer.Option("--version", min=1, help="The model version.")
    ] = None,
    prediction: Annotated[
        str | None,
        typer.Option(
            "--prediction",
            help="A prediction_id: show the prediction, then its version's lineage (scans "
            "the predictions topic from the beginning).",
        ),
    ] = None,
    model: Model = None,
    bootstrap_servers: BootstrapServers = None,
    registry_url: RegistryUrl = None,
    timeout: Timeout = 30.0,
) -> None:
    """Where VERSION of PIPELINE's model, or the PREDICTION it made, came from: run, gates,
    offsets, schema ids, spec, code."""
    if (version is None) == (prediction is None):
        raise _fail("give one of --version N and --prediction ID")
    if prediction is not None:
        if model is not None:
            raise _fail("--model goes with --version; a prediction names its own model")
        found = _find(pipeline, prediction, bootstrap_servers, registry_url, timeout)
        typer.echo(_describe_prediction(found) + "\n")
        model, version = found["model_name"], found["model_version"]
    assert version is not None
    typer.echo(_version_lineage(pipeline, version, model, bootstrap_servers, registry_url, timeout))


def _version_lineage(
    pipeline: str,
    version: int,
    model: str | None,
    bootstrap_servers: str | None,
    registry_url: str | None,
    timeout: float,
) -> str:
    """The lineage of one version as text; exits 1 when there is no such model or version."""
    with _registry(pipeline, bootstrap_servers, registry_url, timeout) as opened:
        name = opened.model(model).name
        record = opened.version(name, version)
        run_id = record.get("run_id")
        kafka, registry = kafka_settings(bootstrap_servers), registry_settings(registry_url)
        runs = read_runs(pipeline, kafka, registry, timeout_s=timeout)
        run = next((r for r in runs if r["run_id"] == run_id), None)
        events = _events(kafka, opened.topics.lineage, run_id, timeout) if run_id else []
    return _describe(name, record, run, events)


def _find(
    pipeline: str,
    prediction_id: str,
    bootstrap_servers: str | None,
    registry_url: str | None,
    timeout: float,
) -> Prediction:
    """The prediction, read from ``{p}.predictions``; exits 1 when the topic has none."""
    try:
        topic = TopicNames(pipeline).predictions
        kafka, registry = kafka_settings(bootstrap_servers), registry_settings(registry_url)

        def progress(read: int) -> None:
            typer.echo(f"scanning {topic}: {read:,} records read", err=True)

        found = find_prediction(
            pipeline, prediction_id, kafka, registry, timeout_s=timeout, progress=progress
        )
    except (ValidationError, TopicError) as exc:
        raise _fail(str(exc)) from exc
    except RegistryError as exc:
        where = f"bootstrap servers {kafka.bootstrap_servers}, registry {registry.url}"
        raise _fail(f"{exc} ({where})") from exc
    if found is None:
        raise _fail(
            f"no prediction with id {prediction_id} on {topic} (read from the first offset "
            "of every partition; records past the topic's retention are gone)",
            EXIT_REFUSED,
        )
    return found


def _events(kafka: KafkaSettings, topic: str, run_id: str, timeout: float) -> list[dict[str, Any]]:
    """The OpenLineage events of one run on ``{p}.lineage``, in log order."""
    found: list[dict[str, Any]] = []
    follower = LogFollower(kafka, [topic], timeout_s=timeout)
    try:

        def keep(message: Any) -> None:
            try:
                event = decode_run_event(message.value() or b"")
            except ValueError:
                return  # not an event this reader can read; the others still are
            if event.get("run", {}).get("runId") == run_id:
                found.append(event)

        follower.catch_up(keep)
    finally:
        follower.close()
    return found


def _describe_prediction(found: Prediction) -> str:
    """The prediction's own rows: what was scored, by which version in which role, how."""
    answer = [f"score {found['score']:.4g}"] if found.get("score") is not None else []
    answer += [f"label {found['predicted_label']}"] if found.get("predicted_label") else []
    answer += (
        [metrics(found.get("probabilities", {}), limit=10)] if found.get("probabilities") else []
    )
    ref = found.get("feature_ref")
    request = found.get("request_id")
    return table(
        [
            ("prediction", found["prediction_id"]),
            ("event", f"{found['event_id']} (entity {found['entity_key']})"),
            ("served by", f"{found['served_by']}: {found['model_name']} v{found['model_version']}"),
            (
                "source",
                found.get("source", "UNKNOWN") + (f" (request {request})" if request else ""),
            ),
            ("answer", ", ".join(answer) or "-"),
            ("event time", when(found["event_time"])),
            (
                "predicted",
                f"{when(found['predicted_at'])} in {found['latency_seconds'] * 1e3:.1f} ms",
            ),
            (
                "features",
                "-"
                if ref is None
                else f"{ref['topic']} partition {ref['partition']} offset {ref['offset']}",
            ),
        ]
    )


def _describe(
    name: str, record: ModelVersion, run: TrainingRun | None, events: Sequence[dict[str, Any]]
) -> str:
    lin, window = record["lineage"], record["training_window"]
    rows: list[tuple[str, str]] = [
        ("model", f"{name} v{record['version']} ({record['algorithm']})"),
        ("created", when(record["created_at"])),
        ("sha256", record["onnx_sha256"]),
        ("metrics", metrics(record.get("metrics", {}), limit=20)),
        (
            "trained on",
            f"{when(window['start'])} .. {when(window['end'])}: "
            f"{window['train_count']} train, {window['holdout_count']} holdout rows",
        ),
        ("run", record.get("run_id") or "unknown (published before runs were recorded)"),
    ]
    if run is not None:
        trigger = run["trigger"]
        rows += [
            ("trigger", f"{trigger['kind']}: {trigger.get('detail') or '-'}"),
            ("alerts", ", ".join(trigger.get("alert_ids") or []) or "-"),
            ("ran", f"{when(run['started_at'])} .. {when(run['finished_at'])}"),
            ("outcome", f"{run['outcome']}: {run['reason']}"),
        ]
        rows += [("gate", _gate(gate)) for gate in run.get("gates", [])]
        dataset = run.get("dataset")
        if dataset is not None:
            rows += [
                ("cut-off", when(dataset["cutoff"])),
                ("content", dataset["content_hash"]),
                ("rows", ", ".join(f"{k} {v}" for k, v in sorted(dataset["counts"].items()))),
            ]
    rows += [
        (
            f"read {r['topic']}",
            f"partition {r['partition']} offsets [{r['start_offset']}, {r['end_offset']})",
        )
        for r in lin["training_data"]
    ]
    ids = record.get("schema_ids", {})
    rows += [(f"schemas {topic}", ", ".join(map(str, v))) for topic, v in sorted(ids.items())]
    rows += [
        ("spec sha256", lin["spec_hash"]),
        ("code", lin["code_version"]),
        ("parent", "none" if lin.get("parent_version") is None else f"v{lin['parent_version']}"),
        ("openlineage", " -> ".join(f"{e['eventType']} {e['eventTime']}" for e in events) or "-"),
    ]
    return table(rows)


def _gate(gate: GateResult) -> str:
    """The gate's name, ``passed`` or ``FAILED``, its value against the threshold, and why."""
    shown = f"{gate['gate']} {'passed' if gate['passed'] else 'FAILED'}"
    if gate.get("value") is not None:
        shown += f" {gate['value']:.4g}"
        if gate.get("threshold") is not None:
            shown += f" (threshold {gate['threshold']:.4g})"
    return f"{shown}: {gate['detail']}" if gate.get("detail") else shown
