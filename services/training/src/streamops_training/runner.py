"""One training job against the log: dataset, fit, gates, publish, and the records of it all.

A job reads the point-in-time dataset up to now, trains (`job.train`), scores the champion
on the candidate's own holdout and applies the champion gate, then, if every gate passed,
publishes the version and its deployment event: PROMOTE with ``approval: auto``, SHADOW
(a challenger waiting for `streamops models promote`) with ``manual``. Whatever happens, it
ends with a TrainingRun on ``{p}.runs`` and OpenLineage START then COMPLETE or FAIL on
``{p}.lineage``, all under one run id. A job never raises for bad data or a failed gate:
those are outcomes (REJECTED); a broken cluster, a spec the data cannot satisfy, or a bug
is FAILED, with the reason, and the service goes on.
"""

from __future__ import annotations

import datetime
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from streamops.contracts import types as contract
from streamops.dataset import Dataset, DatasetError, Marks, build_dataset
from streamops.features import feature_set
from streamops.pipeline import Pipeline
from streamops.pipeline.model_spec import ModelSpec
from streamops.pipeline.retraining_spec import RetrainingSpec
from streamops.registry import ModelRegistry, RegistryError, RegistryPublisher, decide
from streamops.registry.lineage import ModelOutput, job_name, kafka_namespace, run_event
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.topics import TopicNames
from streamops_training.cards import write_version_card
from streamops_training.estimators import ModelSpecError
from streamops_training.frame import FrameError
from streamops_training.gates import GateResult, beats_no_skill
from streamops_training.job import (
    ChampionIncompatible,
    DataCheckFailed,
    TrainedModel,
    champion_gate,
    evaluate_champion,
    train,
)
from streamops_training.records import gate_records, lineage_inputs, run_record, version_record
from streamops_training.triggers import Trigger

log = logging.getLogger("streamops.training")
ACTOR = "training"
#: How long a published version may take to become readable before the job fails
VISIBLE_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class JobResult:
    """What became of a job: its run id, outcome, why, and the version it published."""

    run_id: str
    outcome: contract.RunOutcome
    reason: str
    version: int | None = None
    trained: TrainedModel | None = None
    dataset: Dataset | None = None


class JobRunner:
    """Runs the jobs of one pipeline, one at a time, writing through ``publisher``; a
    decision is stamped with ``newest_event()``, the event time its probation starts at."""

    def __init__(
        self,
        pipeline: Pipeline,
        kafka: KafkaSettings,
        registry_settings: SchemaRegistrySettings,
        registry: ModelRegistry,
        publisher: RegistryPublisher,
        now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
        cards_dir: Path | None = None,
        newest_event: Callable[[], datetime.datetime | None] = lambda: None,
    ) -> None:
        self.pipeline = pipeline
        self.model = pipeline.spec.model or ModelSpec()
        self.retraining = pipeline.spec.retraining or RetrainingSpec()
        self.model_name = self.model.name or pipeline.name
        self._kafka, self._registry_settings = kafka, registry_settings
        self.registry, self.publisher = registry, publisher
        self._now, self._newest_event = now, newest_event
        self.cards_dir = cards_dir
        self._namespace = kafka_namespace(kafka.bootstrap_servers)
        self._job = job_name(pipeline.name, self.model_name)
        self._features = TopicNames(pipeline.name).features
        #: where this process's reads of the features topic reached in event time
        self.marks = Marks()

    def build(self, since_ms: int | None = None) -> Dataset:
        """The training set now; its features read only from where event times from
        ``since_ms`` on begin (as far as earlier builds of this process tell), or whole."""
        starts = self.marks.starts(since_ms) if since_ms is not None else {}
        dataset = build_dataset(
            self.pipeline,
            self._kafka,
            self._registry_settings,
            start_offsets={self._features: starts} if starts else None,
        )
        self.marks.learn(dataset.identity.start_offsets()[self._features], dataset.reach)
        return dataset

    def _lookback_start(self) -> int | None:
        """The oldest event time the next job can keep: the look-back before the newest
        event time read so far (the next cut-off is no older); None: read everything."""
        lookback, newest = self.model.data.lookback, self.marks.newest()
        if lookback is None or newest is None:
            return None
        return newest - round(lookback.total_seconds() * 1000)

    def run(self, trigger: Trigger) -> JobResult:
        """One job for ``trigger``, recorded whatever its outcome."""
        run_id, started = str(uuid.uuid4()), self._now()
        self.publisher.record_lineage(
            run_event(
                "START", run_id=run_id, job=self._job, event_time=started, namespace=self._namespace
            )
        )
        log.info("run %s: started (%s)", run_id, trigger.reason)
        laps: dict[str, float] = {}
        dataset: Dataset | None = None
        trained: TrainedModel | None = None
        gates: list[GateResult] = []
        version: int | None = None
        try:
            clock = time.perf_counter()
            dataset = self.build(self._lookback_start())
            laps["dataset"] = time.perf_counter() - clock
            trained = train(
                dataset,
                self.pipeline,
                after_drift=trigger.after_drift,
                current_features=feature_set(self.pipeline).names,
                since_ms=trigger.since_ms,
            )
            laps.update(trained.durations_s)
            clock = time.perf_counter()
            gates = [*trained.gates, self._champion_gate(trained)]
            laps["evaluate"] = laps.get("evaluate", 0.0) + time.perf_counter() - clock
            failed = [g for g in gates if not g.passed]
            if failed:
                outcome: contract.RunOutcome = "REJECTED"
                reason = "; ".join(f"{g.name}: {g.detail}" for g in failed)
            else:
                clock = time.perf_counter()
                version, outcome, reason = self._publish(trained, dataset, gates, run_id, trigger)
                laps["publish"] = time.perf_counter() - clock
        except DataCheckFailed as exc:
            outcome, reason, gates = "REJECTED", str(exc), list(exc.gates)
        except (DatasetError, RegistryError, ModelSpecError, FrameError) as exc:
            outcome, reason = "FAILED", f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a bug: recorded as FAILED and logged whole; the service
            # lives on, and the cooldown keeps it from failing in a tight loop
            log.exception("run %s failed", run_id)
            outcome, reason = "FAILED", f"{type(exc).__name__}: {exc}"
        self._finish(
            run_id, trigger, started, outcome, reason, trained, dataset, laps, version, gates
        )
        return JobResult(run_id, outcome, reason, version, trained, dataset)

    def _champion_gate(self, trained: TrainedModel) -> GateResult:
        """Whether the candidate beats the champion on the candidate's holdout."""
        self.registry.refresh()
        try:
            state = self.registry.model(self.model_name)
        except RegistryError:
            state = None
        if state is None or state.champion is None:
            return beats_no_skill(
                trained.holdout.labels,
                trained.holdout.predictions,
                trained.task,
                trained.primary_metric,
                self.model.gates,
                self.model.seed,
                trained.threshold,
                trained.classes,
            )
        champion = self.registry.version(self.model_name, state.champion)
        onnx = self.registry.load_artifact(self.model_name, state.champion)
        try:
            scores = evaluate_champion(onnx, trained.holdout, trained.task)
        except ChampionIncompatible as exc:
            return GateResult(
                "beats_champion",
                True,
                f"champion v{state.champion} cannot score today's features ({exc}): replaced",
            )
        gate = champion_gate(trained, scores, champion["decision_threshold"], self.model)
        return GateResult(gate.name, gate.passed, f"against v{state.champion}: {gate.detail}")

    def _publish(
        self,
        trained: TrainedModel,
        dataset: Dataset,
        gates: list[GateResult],
        run_id: str,
        trigger: Trigger,
    ) -> tuple[int, contract.RunOutcome, str]:
        """Publish the version and its deployment event; (version, outcome, reason)."""
        try:
            state = self.registry.model(self.model_name)
            number, parent = max(state.versions) + 1, state.champion
        except RegistryError:
            state, number, parent = None, 1, None
        record = version_record(
            trained,
            pipeline=self.pipeline.name,
            version=number,
            run_id=run_id,
            identity=dataset.identity,
            parent=parent,
            spec_file=self.pipeline.file,
            trigger=trigger,
            created_at=self._now(),
        )
        published = self.publisher.publish_version(record, trained.onnx_model)
        state = self.registry.wait_for_version(self.model_name, number, VISIBLE_TIMEOUT_S)
        manual = self.retraining.approval == "manual"
        metric = trained.primary_metric
        score = trained.metrics.get("holdout", {}).get(metric)
        said = f"{metric} {score:.4f} on the holdout" if score is not None else "gates passed"
        reason = (
            f"every gate passed ({said}); waiting for approval (retraining.approval: manual)"
            if manual
            else f"every gate passed ({said}), trigger: {trigger.reason}"
        )
        deployment = decide(
            state,
            "SHADOW" if manual else "PROMOTE",
            number,
            actor=ACTOR,
            reason=reason,
            decided_at=self._now(),
            gates=gate_records(gates),
            run_id=run_id,
            event_time=self._newest_event(),
        )
        self.publisher.record_deployment(deployment)
        log.info("%s v%d published and %s", self.model_name, number, deployment["action"])
        outcome = "kept as challenger, waiting for approval" if manual else "promoted to champion"
        if self.cards_dir is not None:  # after the promotion, not on its path
            write_version_card(
                self.pipeline, trained, published, deployment["gates"], outcome, self.cards_dir
            )
        return number, "CHALLENGER" if manual else "PROMOTED", reason

    def _finish(
        self,
        run_id: str,
        trigger: Trigger,
        started: datetime.datetime,
        outcome: contract.RunOutcome,
        reason: str,
        trained: TrainedModel | None,
        dataset: Dataset | None,
        laps: dict[str, float],
        version: int | None,
        gates: list[GateResult],
    ) -> None:
        finished = self._now()
        run = run_record(
            run_id=run_id,
            pipeline=self.pipeline.name,
            model_name=self.model_name,
            trigger=trigger,
            started_at=started,
            finished_at=finished,
            outcome=outcome,
            reason=reason,
            spec_file=self.pipeline.file,
            trained=trained,
            identity=dataset.identity if dataset else None,
            durations_s=laps,
            version=version,
            gates=gates,
            params=dict(trained.params) if trained else None,
        )
        self.publisher.record_run(run)
        output = None
        if version is not None and trained is not None:
            output = ModelOutput(
                self.publisher.topics.models, self.model_name, version, trained.onnx_sha256
            )
        failed = outcome == "FAILED"
        self.publisher.record_lineage(
            run_event(
                "FAIL" if failed else "COMPLETE",
                run_id=run_id,
                job=self._job,
                event_time=finished,
                namespace=self._namespace,
                inputs=lineage_inputs(dataset.identity) if dataset else (),
                output=output,
                error=reason if failed else None,
            )
        )
        log.info("run %s: %s (%s)", run_id, outcome, reason)
