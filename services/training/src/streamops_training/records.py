"""What a job writes, built from what it did: ModelVersion, TrainingRun, gate results, and
the inputs of its OpenLineage events. Pure: `runner` writes them.

Metric names: a version's ``metrics`` holds the holdout's under their own names (the gates
and monitoring compare those, e.g. ``pr_auc``) and the other splits' as ``validation.pr_auc``
and ``train.pr_auc``; a run's ``metrics`` keeps them by split.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Mapping, Sequence
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from streamops.contracts import types as contract
from streamops.dataset import DatasetIdentity
from streamops.features import utc_datetime
from streamops.registry.lineage import TopicInput
from streamops_training.gates import GateResult
from streamops_training.job import TrainedModel
from streamops_training.triggers import Trigger

_TASKS: dict[str, contract.ModelTask] = {
    "binary": "BINARY_CLASSIFICATION",
    "multiclass": "MULTICLASS_CLASSIFICATION",
    "regression": "REGRESSION",
}
_TRIGGERS: dict[str, contract.TriggerKind] = {
    "first_model": "NO_CHAMPION",
    "alert": "ALERT",
    "labels": "LABEL_VOLUME",
    "schedule": "SCHEDULE",
    "manual": "MANUAL",
}


def code_version() -> str:
    """The training code's version: the streamops-training package's."""
    return f"streamops-training=={package_version('streamops-training')}"


def spec_hash(file: Path) -> str:
    """Hex SHA-256 of the spec file as written."""
    return hashlib.sha256(file.read_bytes()).hexdigest()


def flat_metrics(metrics: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """A version's metrics: the holdout's by name, the other splits' prefixed."""
    out = {name: float(v) for name, v in metrics.get("holdout", {}).items()}
    for split, values in metrics.items():
        if split != "holdout":
            out.update({f"{split}.{name}": float(v) for name, v in values.items()})
    return out


def gate_records(gates: Sequence[GateResult]) -> list[contract.GateResult]:
    """The gates as the Deployment and TrainingRun contracts carry them."""
    return [
        {"gate": g.name, "passed": g.passed, "value": None, "threshold": None, "detail": g.detail}
        for g in gates
    ]


def offset_ranges(identity: DatasetIdentity) -> list[contract.OffsetRange]:
    """The offsets a dataset was read from, topic by topic, partition by partition."""
    return [
        {"topic": t.topic, "partition": p, "start_offset": start, "end_offset": end}
        for t in (identity.features, identity.labels)
        for p, (start, end) in sorted(t.offsets.items())
    ]


def schema_ids(identity: DatasetIdentity) -> dict[str, list[int]]:
    return {t.topic: list(t.schema_ids) for t in (identity.features, identity.labels)}


def lineage_inputs(identity: DatasetIdentity) -> list[TopicInput]:
    """The topics a job read, as its OpenLineage events name them."""
    return [
        TopicInput(t.topic, dict(t.offsets), tuple(t.schema_ids))
        for t in (identity.features, identity.labels)
    ]


def version_record(
    trained: TrainedModel,
    *,
    pipeline: str,
    version: int,
    run_id: str,
    identity: DatasetIdentity,
    parent: int | None,
    spec_file: Path,
    trigger: Trigger,
    created_at: datetime.datetime,
) -> contract.ModelVersion:
    """The ModelVersion of a trained model (its artifact fields are the publisher's)."""
    window = trained.training_window
    return {
        "pipeline": pipeline,
        "model_name": trained.model_name,
        "version": version,
        "created_at": created_at,
        "task": _TASKS[trained.task],
        "algorithm": trained.algorithm,
        "framework": trained.framework,
        "onnx_model": None,
        "onnx_sha256": trained.onnx_sha256,
        "signature": {
            "inputs": [_tensor(t) for t in trained.signature["inputs"]],
            "outputs": [_tensor(t) for t in trained.signature["outputs"]],
        },
        "feature_names": list(trained.feature_names),
        "decision_threshold": trained.threshold,
        "metrics": flat_metrics(trained.metrics),
        "training_window": {
            "start": utc_datetime(window["start"]),
            "end": utc_datetime(window["end"]),
            "train_count": window["train_count"],
            "holdout_count": window["holdout_count"],
        },
        "reference_profile": trained.reference_profile,  # type: ignore[typeddict-item]
        "lineage": {
            "parent_version": parent,
            "training_data": offset_ranges(identity),
            "code_version": code_version(),
            "spec_hash": spec_hash(spec_file),
            "trigger_alert_ids": list(trigger.alert_ids),
        },
        "onnx_chunks": 0,
        "onnx_size_bytes": len(trained.onnx_model),
        "run_id": run_id,
        "schema_ids": schema_ids(identity),
    }


def run_record(
    *,
    run_id: str,
    pipeline: str,
    model_name: str,
    trigger: Trigger,
    started_at: datetime.datetime,
    finished_at: datetime.datetime,
    outcome: contract.RunOutcome,
    reason: str,
    spec_file: Path,
    trained: TrainedModel | None = None,
    identity: DatasetIdentity | None = None,
    durations_s: Mapping[str, float] | None = None,
    version: int | None = None,
    gates: Sequence[GateResult] = (),
    params: Mapping[str, Any] | None = None,
) -> contract.TrainingRun:
    """The TrainingRun of a job, whatever became of it."""
    dataset: contract.TrainingDataset | None = None
    if identity is not None:
        counts = {k: int(v) for k, v in identity.counts.items() if v is not None}
        counts["labels_known"] = trigger.labels_known  # what the trigger saw (`Triggers.ran`)
        if trained is not None:
            counts.update({k: int(v) for k, v in trained.rows.items()})
        dataset = {
            "ranges": offset_ranges(identity),
            "schema_ids": schema_ids(identity),
            "content_hash": identity.content_hash,
            "cutoff": utc_datetime(identity.cutoff_ms),
            "counts": counts,
        }
    return {
        "run_id": run_id,
        "pipeline": pipeline,
        "model_name": model_name,
        "trigger": {
            "kind": _TRIGGERS[trigger.kind],
            "alert_ids": list(trigger.alert_ids),
            "detail": trigger.reason,
        },
        "started_at": started_at,
        "finished_at": finished_at,
        "outcome": outcome,
        "reason": reason,
        "params": {k: str(v) for k, v in (params or {}).items()},
        "metrics": {
            split: {k: float(v) for k, v in values.items()}
            for split, values in (trained.metrics if trained else {}).items()
        },
        "dataset": dataset,
        "code_version": code_version(),
        "spec_hash": spec_hash(spec_file),
        "durations_seconds": dict(durations_s or {}),
        "model_version": version,
        "gates": gate_records(gates),
    }


def _tensor(spec: Mapping[str, Any]) -> contract.TensorSpec:
    return {"name": spec["name"], "dtype": spec["dtype"], "shape": list(spec["shape"])}
