"""Text tables of the model registry for `streamops models` and `streamops runs`."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from streamops.contracts.types import ModelVersion, TrainingRun
from streamops.registry import ModelState


def table(rows: Sequence[Sequence[str]]) -> str:
    """Rows as left-aligned text columns, the first row the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def when(moment: datetime.datetime | None) -> str:
    """A timestamp as UTC text, to the second."""
    return "-" if moment is None else moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def metrics(values: dict[str, float], limit: int = 3) -> str:
    """The first ``limit`` metrics by name, ``name=value``."""
    shown = sorted(values.items())[:limit]
    return " ".join(f"{name}={value:.4g}" for name, value in shown) or "-"


def size(version: ModelVersion) -> str:
    """The artifact's size in MB, ``-`` when the record does not say."""
    size_bytes = version.get("onnx_size_bytes", 0)
    if not size_bytes:
        return "-"
    return f"{size_bytes / 1e6:.1f} MB" if size_bytes >= 100_000 else f"{size_bytes / 1e3:.1f} kB"


def role(state: ModelState, version: int) -> str:
    """The version's role, with the canary's weight."""
    found = state.role(version)
    if found == "CANARY":
        return f"CANARY {state.canary_weight:g}"
    return found or "-"


def versions_table(state: ModelState) -> str:
    """Every published version, newest first."""
    rows = [("version", "role", "created", "algorithm", "metrics", "size", "run")]
    for number in sorted(state.versions, reverse=True):
        version = state.versions[number]
        rows.append(
            (
                str(number),
                role(state, number),
                when(version["created_at"]),
                version["algorithm"].rsplit(".", 1)[-1],
                metrics(version.get("metrics", {})),
                size(version),
                (version.get("run_id") or "-")[:8],
            )
        )
    return table(rows)


def version_table(state: ModelState, record: ModelVersion) -> str:
    """One version's record as name / value rows, its artifact left out."""
    lineage, window = record["lineage"], record["training_window"]
    ids = record.get("schema_ids", {})
    schema_ids = " ".join(f"{t}={','.join(map(str, v))}" for t, v in sorted(ids.items()))
    return table(
        [
            ("model", f"{state.name} v{record['version']}"),
            ("role", role(state, record["version"]).replace("-", "none (never deployed)")),
            ("created", when(record["created_at"])),
            ("task", record["task"]),
            ("algorithm", record["algorithm"]),
            ("framework", record["framework"]),
            ("artifact", f"{size(record)} in {record.get('onnx_chunks', 0)} chunk(s)"),
            ("sha256", record["onnx_sha256"]),
            ("features", ", ".join(record["feature_names"])),
            ("threshold", str(record.get("decision_threshold"))),
            ("metrics", metrics(record.get("metrics", {}), limit=20)),
            ("trained on", f"{when(window['start'])} .. {when(window['end'])}"),
            ("rows", f"{window['train_count']} train, {window['holdout_count']} holdout"),
            ("run", record.get("run_id") or "-"),
            ("parent", str(lineage.get("parent_version"))),
            ("code", lineage["code_version"]),
            ("spec hash", lineage["spec_hash"]),
            ("schema ids", schema_ids or "-"),
        ]
    )


def history_table(state: ModelState, version: int) -> str:
    """The deployment events about ``version``, and those that replaced it as champion,
    in log order: when decided (wall clock) and the newest event time of the stream then
    ("-": none recorded)."""
    events = [
        event
        for event in state.history
        if version in (event["version"], event.get("previous_champion_version"))
    ]
    if not events:
        return "no deployment events"
    rows = [("decided", "at event time", "action", "by", "reason")]
    for event in events:
        action: str = event["action"]
        if event.get("canary_weight") is not None:
            action = f"{action} {event['canary_weight']:g}"
        if event["version"] != version:
            action = f"replaced ({action} v{event['version']})"
        decided, at = when(event["decided_at"]), when(event.get("event_time"))
        rows.append((decided, at, action, event["actor"], event["reason"]))
    return table(rows)


def runs_table(runs: Sequence[TrainingRun]) -> str:
    """Training runs, one a row, in the order given."""
    rows = [("run", "model", "started", "took", "trigger", "outcome", "version", "holdout")]
    for run in runs:
        took = (run["finished_at"] - run["started_at"]).total_seconds()
        trigger: str = run["trigger"]["kind"]
        alerts = len(run["trigger"].get("alert_ids", []))
        if alerts:
            trigger += f" ({alerts} alert{'s' if alerts > 1 else ''})"
        version = run.get("model_version")
        rows.append(
            (
                run["run_id"][:8],
                run["model_name"],
                when(run["started_at"]),
                f"{took:.1f} s",
                trigger,
                run["outcome"],
                "-" if version is None else f"v{version}",
                metrics(run.get("metrics", {}).get("holdout", {}), limit=2),
            )
        )
    reasons = [f"{run['run_id'][:8]}  {run['reason']}" for run in runs]
    return table(rows) + "\n\n" + "\n".join(reasons)
