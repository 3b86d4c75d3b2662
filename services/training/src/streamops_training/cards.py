"""A version's model card from what the job knew, or rebuilt later from the log alone.

`card_for` fills `CardInputs` from a ModelVersion record, its gates and outcome, and the
holdout rows with the version's own ONNX predictions; `rebuild_holdout` gets those rows
back for any published version: the dataset read again at the exact offsets the version
records, split as its job split it (same spec: the split is deterministic), scored with
the version's artifact. Feature importance is the drop of the primary metric when one
feature's column is shuffled (permutation importance, on the ONNX model, seeded).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from streamops.contracts.types import GateResult, ModelVersion
from streamops.dataset import build_dataset
from streamops.dataset.join import LabelRules
from streamops.features import event_time_ms
from streamops.pipeline import Pipeline
from streamops.pipeline.model_spec import ModelSpec, Task, higher_is_better
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops_training.card.inputs import (
    CardInputs,
    DatasetIdentity,
    GateVerdict,
    OffsetRange,
    TrainingWindow,
)
from streamops_training.card.render import render_card, write_card
from streamops_training.export import session
from streamops_training.frame import to_frame
from streamops_training.job import TrainedModel
from streamops_training.model_metrics import metric
from streamops_training.parity import onnx_predictions
from streamops_training.policy import within_lookback
from streamops_training.split import matured

log = logging.getLogger("streamops.training")
_TASK: dict[str, Task] = {
    "BINARY_CLASSIFICATION": "binary",
    "MULTICLASS_CLASSIFICATION": "multiclass",
}
#: Rows of the holdout the permutation importance is measured on (it rescores them once
#: per feature)
IMPORTANCE_ROWS = 5_000


def card_for(
    pipeline: Pipeline,
    version: ModelVersion,
    holdout: pd.DataFrame,
    predictions: np.ndarray,
    gates: Sequence[GateResult],
    outcome: str,
    onnx: bytes,
    metrics: Mapping[str, Mapping[str, float]] | None = None,
) -> CardInputs:
    """The card of ``version``; ``holdout`` has ``label`` and every model input."""
    model = pipeline.spec.model or ModelSpec()
    task = _TASK.get(version["task"], "regression")
    classes = tuple(sorted(map(str, pd.unique(holdout["label"])))) if task == "multiclass" else ()
    shown = pd.DataFrame({"label": holdout["label"].to_numpy()})
    if task == "multiclass":
        shown["predicted"] = np.asarray(classes, dtype=object)[np.argmax(predictions, axis=1)]
        for i, name in enumerate(classes):
            shown[f"proba_{name}"] = predictions[:, i]
    else:
        shown["score"] = predictions
    inputs = set(version["feature_names"])  # the categorical inputs: country, channel ...
    slices = tuple(c for c in holdout.columns if c in inputs and not is_numeric_dtype(holdout[c]))
    for column in slices:
        shown[column] = holdout[column].to_numpy()
    window = version["training_window"]
    ranges = version["lineage"]["training_data"]
    rule = model.threshold
    threshold_rule = None
    if version["decision_threshold"] is not None and rule is not None:
        threshold_rule = (
            "max F1 on the validation split"
            if rule.rule == "max_f1"
            else f"precision at least {rule.precision} on the validation split"
        )
    named = metrics or {"holdout": {k: v for k, v in version["metrics"].items() if "." not in k}}
    return CardInputs(
        pipeline=pipeline.name,
        model_name=version["model_name"],
        version=version["version"],
        created_at=event_time_ms(version["created_at"]),
        task=version["task"],  # type: ignore[arg-type]
        algorithm=version["algorithm"],
        framework=version["framework"],
        onnx_sha256=version["onnx_sha256"],
        feature_names=tuple(version["feature_names"]),
        metrics={f"{split}.{k}": v for split, values in named.items() for k, v in values.items()},
        window=TrainingWindow(
            event_time_ms(window["start"]),
            event_time_ms(window["end"]),
            window["train_count"],
            window["holdout_count"],
        ),
        dataset=DatasetIdentity(
            content_hash="",
            cutoff=event_time_ms(window["end"]),
            offsets=tuple(
                OffsetRange(r["topic"], r["partition"], r["start_offset"], r["end_offset"])
                for r in ranges
            ),
        ),
        gates=tuple(
            GateVerdict(g["gate"], g["passed"], g.get("value"), g.get("threshold"), g.get("detail"))
            for g in gates
        ),
        outcome=outcome,
        holdout=shown,
        params={},
        decision_threshold=version["decision_threshold"],
        threshold_rule=threshold_rule,
        parent_version=version["lineage"].get("parent_version"),
        run_id=version.get("run_id"),
        intended_use=model.intended_use,
        slices=slices,
        importance=permutation_importance(
            onnx,
            holdout,
            task,
            model.metric_for(task),
            version["decision_threshold"],
            classes,
            model.seed,
        ),
        label_delay=pipeline.spec.labels.expected_delay if pipeline.spec.labels else None,
    )


def write_version_card(
    pipeline: Pipeline,
    trained: TrainedModel,
    version: ModelVersion,
    gates: Sequence[GateResult],
    outcome: str,
    directory: Path,
) -> None:
    """The card of a version just published, from its job's own holdout; a failure is only
    logged (`streamops models card` can make it again from the log)."""
    try:
        card = card_for(
            pipeline,
            version,
            trained.holdout.data,
            trained.holdout.predictions,
            gates,
            outcome,
            trained.onnx_model,
            trained.metrics,
        )
        paths = write_card(render_card(card), directory)
        log.info("model card of v%d: %s", version["version"], paths[1])
    except Exception:
        log.exception("the model card of v%d could not be written", version["version"])


def rebuild_holdout(
    pipeline: Pipeline,
    version: ModelVersion,
    onnx: bytes,
    kafka: KafkaSettings,
    registry: SchemaRegistrySettings,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The version's holdout rows and its predictions, from the offsets it was trained on."""
    starts: dict[str, dict[int, int]] = {}
    ends: dict[str, dict[int, int]] = {}
    for r in version["lineage"]["training_data"]:
        starts.setdefault(r["topic"], {})[r["partition"]] = r["start_offset"]
        ends.setdefault(r["topic"], {})[r["partition"]] = r["end_offset"]
    dataset = build_dataset(pipeline, kafka, registry, end_offsets=ends, start_offsets=starts)
    model = pipeline.spec.model or ModelSpec()
    rules = LabelRules.from_spec(pipeline.spec)
    task = model.task_for(rules.kind)
    join = rules.join_field if rules.join_field != "event_id" else None
    frame = to_frame(dataset, task, join)
    cutoff = dataset.identity.cutoff_ms
    # the holdout is the newest matured rows, however many the job took (its shares may be
    # of the rows since an alert's window: `split.split_by_time`)
    ready = matured(within_lookback(frame, model.data, cutoff), cutoff, rules.expected_delay_ms)
    count = version["training_window"]["holdout_count"]
    rows = ready.data.iloc[len(ready.data) - count :].reset_index(drop=True)
    return rows, onnx_predictions(session(onnx), rows, task)


def permutation_importance(
    onnx: bytes,
    holdout: pd.DataFrame,
    task: Task,
    metric_name: str,
    threshold: float | None,
    classes: tuple[str, ...],
    seed: int,
) -> dict[str, float]:
    """Per model input, how much the primary metric worsens when its column is shuffled
    (empty when the metric is undefined on these rows, e.g. AUC of a single class)."""
    sess = session(onnx)
    rows = holdout.sample(n=min(len(holdout), IMPORTANCE_ROWS), random_state=seed)
    rows = rows.reset_index(drop=True)
    y = rows["label"].to_numpy()
    sign = 1.0 if higher_is_better(metric_name) else -1.0

    def score(data: pd.DataFrame) -> float:
        predictions = onnx_predictions(sess, data, task)
        return sign * metric(metric_name, task, y, predictions, threshold, classes)

    try:
        base = score(rows)
    except ValueError:
        return {}
    rng = np.random.default_rng(seed)
    out: dict[str, float] = {}
    for i in sess.get_inputs():
        shuffled = rows.copy()
        shuffled[i.name] = rng.permutation(shuffled[i.name].to_numpy())
        out[i.name] = base - score(shuffled)
    return out
