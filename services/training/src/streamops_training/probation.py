"""Probation: a new champion against the one it replaced, on the first labels after it.

A version promoted over a champion (by a job, or by an operator) is on probation until
``retraining.probation.min_labels`` rows served after its promotion are labelled: the
events from the PROMOTE's event time on (the newest the training service had read as it
decided, or `streamops models promote` read from the features topic's tail); a PROMOTE
without one (written before deployments carried an event time, or on an empty features
topic), from the end of the version's training window instead, which holds rows the
replaced champion served as well. Then both versions score those rows (their ONNX graphs, as
serving answers) and the paired bootstrap of the gates asks the opposite question: does
the replaced champion beat the new one (margin 0, the probation's confidence)? If so the
new one is rolled back: a ROLLBACK deployment whose reason carries the figures (the audit
record) and a MODEL_PERFORMANCE alert that says what happened, opened and resolved at once
(the rollback answered it; training does not retrain on it). Either way the verdict is
given once per promotion.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

import numpy as np

from streamops.alerts import Issuer, Measurement, Window, alert_id, alert_record
from streamops.contracts.types import Alert, Deployment
from streamops.dataset import Dataset
from streamops.dataset.join import LabelRules
from streamops.features import event_time_ms
from streamops.pipeline import Pipeline
from streamops.pipeline.model_spec import Gates, ModelSpec, Task
from streamops.pipeline.retraining_spec import ProbationSpec
from streamops.registry import ModelRegistry, decide
from streamops.registry.state import ModelState
from streamops_training.export import session
from streamops_training.frame import to_frame
from streamops_training.gates import GateResult, beats_champion
from streamops_training.model_metrics import metric as metric_of
from streamops_training.parity import onnx_predictions

log = logging.getLogger("streamops.training")
ACTOR = "training"


class NoContest(Exception):
    """The two versions cannot be compared on today's rows (the message says why)."""


@dataclass(frozen=True)
class OnProbation:
    """The champion ``version`` promoted over ``previous``, judged on the events from
    ``since_ms`` on: its promotion's event time, or (``since_promotion`` False) the end of
    its training window when the promotion has none."""

    version: int
    previous: int
    since_ms: int
    since_promotion: bool = True

    @property
    def since(self) -> str:
        """Which rows it is judged on, for a sentence."""
        return "after its promotion" if self.since_promotion else "after its training window"


@dataclass(frozen=True)
class Verdict:
    """What the first labels after a promotion say: the bootstrap, its rows, and both
    versions' primary metric on them."""

    rollback: bool
    gate: GateResult
    rows: int
    metric: str
    new: float
    old: float


def on_probation(model: ModelState) -> OnProbation | None:
    """The champion, if a PROMOTE made it champion over another version; else None."""
    champion = model.champion
    if champion is None or champion not in model.versions:
        return None
    made = next(
        (d for d in reversed(model.history) if d["action"] in ("PROMOTE", "ROLLBACK")), None
    )
    if made is None or made["action"] != "PROMOTE" or made["version"] != champion:
        return None
    previous = made.get("previous_champion_version")
    if previous is None or previous not in model.versions:
        return None
    if made.get("event_time") is not None:
        return OnProbation(champion, previous, event_time_ms(made["event_time"]))
    window = model.versions[champion].get("training_window")
    if not window:
        return None
    return OnProbation(champion, previous, event_time_ms(window["end"]), since_promotion=False)


def judge(
    pipeline: Pipeline,
    dataset: Dataset,
    probation: OnProbation,
    registry: ModelRegistry,
    spec: ProbationSpec,
) -> Verdict | None:
    """Both versions on the rows labelled after ``probation.since_ms`` (matured: their
    label delay passed by the dataset's cut-off); None while fewer than the spec's;
    NoContest if one of them cannot score those rows."""
    rules = LabelRules.from_spec(pipeline.spec)
    model_spec = pipeline.spec.model or ModelSpec()
    task = model_spec.task_for(rules.kind)
    name = model_spec.name or pipeline.name
    join = rules.join_field if rules.join_field != "event_id" else None
    data = to_frame(dataset, task, join).data
    cutoff = dataset.identity.cutoff_ms
    times = data["event_time"].to_numpy()
    rows = data[(times >= probation.since_ms) & (times <= cutoff - rules.expected_delay_ms)]
    if len(rows) < spec.min_labels:
        return None
    rows = rows.reset_index(drop=True)
    y = rows["label"].to_numpy()
    new_record = registry.version(name, probation.version)
    old_record = registry.version(name, probation.previous)
    scores = []
    for number in (probation.version, probation.previous):
        sess = session(registry.load_artifact(name, number))
        missing = [i.name for i in sess.get_inputs() if i.name not in rows.columns]
        if missing:  # the replaced version reads a feature no longer computed
            raise NoContest(f"v{number} reads {', '.join(missing)}, no longer computed")
        scores.append(onnx_predictions(sess, rows, task))
    metric = model_spec.metric_for(task)
    gates = Gates(margin=0.0, confidence=spec.confidence, bootstrap=model_spec.gates.bootstrap)
    labels = pipeline.spec.labels
    classes = tuple(labels.classes or ()) if labels is not None and task == "multiclass" else ()
    # the question turned round: does the replaced version beat the new one?
    gate = beats_champion(
        y,
        scores[1],
        scores[0],
        metric,
        task,
        gates,
        model_spec.seed,
        (old_record.get("decision_threshold"), new_record.get("decision_threshold")),
        classes,
    )
    new, old = (
        _metric(metric, task, y, s, record.get("decision_threshold"), classes)
        for s, record in ((scores[0], new_record), (scores[1], old_record))
    )
    return Verdict(gate.passed, gate, len(rows), metric, new, old)


def rollback_records(
    pipeline: Pipeline,
    model: ModelState,
    probation: OnProbation,
    verdict: Verdict,
    now: datetime.datetime,
    event_time: datetime.datetime | None,
) -> tuple[Deployment, list[Alert]]:
    """The ROLLBACK deployment and the alert, OPEN then RESOLVED, that tell of it;
    ``now`` the wall clock's time of the decision, ``event_time`` the newest event read
    (the end of the alert's window, in event time as the probation's rows)."""
    reason = (
        f"probation: v{probation.version} {verdict.metric} {verdict.new:.4f} against "
        f"v{probation.previous}'s {verdict.old:.4f} on the {verdict.rows} rows labelled "
        f"{probation.since}; {verdict.gate.detail}"
    )
    deployment = decide(
        model,
        "ROLLBACK",
        probation.previous,
        actor=ACTOR,
        reason=reason,
        decided_at=now,
        event_time=event_time,
    )
    subject = f"probation:{model.name}:{probation.version}"
    end_ms = int((event_time or now).timestamp() * 1000)
    window = Window(probation.since_ms, end_ms, verdict.rows, clock="event")
    issuer = Issuer(pipeline.name, "MODEL_PERFORMANCE", "CRITICAL", model.name, probation.version)
    measurement = Measurement(
        subject,
        f"{verdict.metric}_vs_v{probation.previous}",
        verdict.new,
        verdict.old,
        opens=True,
        resolves=True,
        details={
            "action": "ROLLBACK",
            "rolled_back_to": str(probation.previous),
            "labelled_rows": str(verdict.rows),
            "deployment_id": str(deployment["deployment_id"]),
        },
        summary=f"v{probation.version} did worse than v{probation.previous} on its first "
        f"labels ({verdict.metric} {verdict.new:.4f} vs {verdict.old:.4f}): rolled back",
    )
    current = {
        "alert_id": alert_id(pipeline.name, subject, probation.since_ms),
        "opened_at": end_ms,
    }
    alerts = [
        alert_record(issuer, measurement, window, current, state) for state in ("OPEN", "RESOLVED")
    ]
    return deployment, alerts


def _metric(
    name: str,
    task: Task,
    y: np.ndarray,
    scores: np.ndarray,
    threshold: float | None,
    classes: tuple[str, ...],
) -> float:
    return float(metric_of(name, task, y, scores, threshold, classes, None))
