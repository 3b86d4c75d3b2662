"""`streamops lineage P --version N`: where a model version came from, from the log alone.

Answers: trained by which run (why it started, when, what it measured), on which offsets
of which topics, with which schema ids, under which spec (its hash) and code, and with
what the run told OpenLineage. Read from ``{p}.models``, ``{p}.runs`` and ``{p}.lineage``.
Exit 0: shown; 1: no such model or version; 2: could not read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import typer

from streamops.cli.models import Model, Pipeline, Timeout, _registry
from streamops.cli.options import BootstrapServers, RegistryUrl, kafka_settings, registry_settings
from streamops.cli.render import table, when
from streamops.contracts.types import ModelVersion, TrainingRun
from streamops.registry import read_runs
from streamops.registry.follow import LogFollower
from streamops.registry.lineage import decode_run_event
from streamops.settings import KafkaSettings


def lineage(
    pipeline: Pipeline,
    version: Annotated[int, typer.Option("--version", min=1, help="The model version.")],
    model: Model = None,
    bootstrap_servers: BootstrapServers = None,
    registry_url: RegistryUrl = None,
    timeout: Timeout = 30.0,
) -> None:
    """Where VERSION of PIPELINE's model came from: run, offsets, schema ids, spec, code."""
    with _registry(pipeline, bootstrap_servers, registry_url, timeout) as opened:
        name = opened.model(model).name
        record = opened.version(name, version)
        run_id = record.get("run_id")
        kafka, registry = kafka_settings(bootstrap_servers), registry_settings(registry_url)
        runs = read_runs(pipeline, kafka, registry, timeout_s=timeout)
        run = next((r for r in runs if r["run_id"] == run_id), None)
        events = _events(kafka, opened.topics.lineage, run_id, timeout) if run_id else []
    typer.echo(_describe(name, record, run, events))


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


def _describe(
    name: str, record: ModelVersion, run: TrainingRun | None, events: Sequence[dict[str, Any]]
) -> str:
    lin = record["lineage"]
    rows: list[tuple[str, str]] = [
        ("model", f"{name} v{record['version']} ({record['algorithm']})"),
        ("created", when(record["created_at"])),
        ("sha256", record["onnx_sha256"]),
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
