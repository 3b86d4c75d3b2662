"""`streamops run training --pipeline FILE`: decides when to train and runs one job at a time.

The service rebuilds what it needs from the log at start-up (`LogWatch`: features event
times, labels, alerts, operators' requests, past runs; `ModelRegistry`: the champion),
then loops: take what arrived, ask `Triggers` whether a job is due, run it to the end
(`JobRunner`), and start over. A job runs in the loop itself: one at a time per pipeline
by construction, and a job's wait for the cluster is the service's.
"""

from __future__ import annotations

import datetime
import logging
import math
import time
from pathlib import Path

from prometheus_client import CollectorRegistry

from streamops.contracts.types import Alert
from streamops.dataset.join import LabelRules
from streamops.features import utc_datetime
from streamops.pipeline import Pipeline
from streamops.pipeline.model_spec import ModelSpec
from streamops.pipeline.retraining_spec import RetrainingSpec
from streamops.registry import ModelRegistry, RegistryError, RegistryPublisher, decide
from streamops.runtime.health import HealthServer
from streamops.service import start_service
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops_training.metrics import TrainingMetrics
from streamops_training.probation import NoContest, judge, on_probation, rollback_records
from streamops_training.runner import ACTOR, JobResult, JobRunner
from streamops_training.settings import TrainingSettings
from streamops_training.settle import acknowledgements, refresh_reason, refreshed
from streamops_training.triggers import Triggers
from streamops_training.watch import LogWatch

log = logging.getLogger("streamops.training")


class TrainingService:
    """The training loop of one pipeline."""

    def __init__(
        self,
        pipeline: Pipeline,
        settings: TrainingSettings,
        kafka: KafkaSettings,
        registry: SchemaRegistrySettings,
    ) -> None:
        self.pipeline, self.settings = pipeline, settings
        rules = LabelRules.from_spec(pipeline.spec)
        model = pipeline.spec.model or ModelSpec()
        self.triggers = Triggers(
            pipeline.spec.retraining or RetrainingSpec(),
            rules.expected_delay_ms,
            rules.negative_after_delay and rules.kind == "binary",  # as the dataset join
            # an alert's job waits until its holdout, a share of the rows since the
            # alert's window, would hold the labelled rows the gates ask of a dataset
            judged_rows=math.ceil(model.gates.min_labels / model.split.holdout),
        )
        timeout = settings.timeout_seconds
        self.watch = LogWatch(pipeline, kafka, registry, self.triggers, timeout_s=timeout)
        self.registry = ModelRegistry(pipeline.name, kafka, registry, timeout_s=timeout)
        self.publisher = RegistryPublisher(pipeline.name, kafka, registry, timeout_s=timeout)
        self._held_said: tuple[tuple[str, ...], int] | None = None
        self.runner = JobRunner(
            pipeline,
            kafka,
            registry,
            self.registry,
            self.publisher,
            cards_dir=settings.cards_dir,
            newest_event=self._newest_event,
        )
        self.model_name = (pipeline.spec.model or ModelSpec()).name or pipeline.name
        self.metrics_registry = CollectorRegistry()
        self.metrics = TrainingMetrics(self.metrics_registry, pipeline.name)
        self.ready = False
        self.kafka, self.registry_settings = kafka, registry
        self._judged: set[int] = set()  # versions whose probation is over
        self._judge_at: dict[int, int] = {}  # labels known before judging again

    def start(self) -> None:
        """Read the log to its end: the policy's state as it was left."""
        started = time.monotonic()
        records = self.watch.catch_up()
        self.registry.refresh()
        self._champion()
        self.ready = True
        log.info(
            "training %s: read %d records in %.1f s; %d labels known, champion %s, %s",
            self.pipeline.name,
            records,
            time.monotonic() - started,
            self.triggers.labels_known(),
            self._champion() or "none",
            "paused" if self.triggers.paused else "retraining on",
        )

    def step(self, wait_s: float) -> bool:
        """Take the news, run a job if one is due; whether a job ran."""
        self.watch.poll(wait_s)
        if self.registry.poll(0):
            self._champion()
        m, p = self.metrics, self.pipeline.name
        m.labels_known.labels(p).set(self.triggers.labels_known())
        m.paused.labels(p).set(int(self.triggers.paused))
        trigger = self.triggers.due()
        self._say_held()
        if trigger is None:
            self._probation()
            return False
        self.triggers.started(trigger)
        clock = time.monotonic()
        result = self.runner.run(trigger)
        m.duration.labels(p).observe(time.monotonic() - clock)
        m.runs.labels(p, trigger.kind, result.outcome).inc()
        champion = self._champion()
        if result.outcome == "REJECTED" and trigger.alert_ids:
            self._settle(trigger.alert_ids, result, champion)
        return True

    def _settle(self, answered: tuple[str, ...], result: JobResult, champion: int | None) -> None:
        """The alerts a rejected retrain answered, as the spec's not_promoted says."""
        spec = self.pipeline.spec.retraining or RetrainingSpec()
        if spec.not_promoted == "keep_open":
            return
        now = datetime.datetime.now(datetime.UTC)
        if spec.not_promoted == "refresh_reference" and champion is not None:
            drift = refreshed(self.watch.alerts, answered)
            if drift:
                self._refresh(drift, result, now)
                settled = {a["alert_id"] for a in drift}
                answered = tuple(a for a in answered if a not in settled)
        records = acknowledgements(
            self.watch.alerts, answered, result.run_id, result.reason, champion, now
        )
        for record in records:
            self.publisher.record_alert(record)
        if records:
            log.info("run %s: acknowledged %d alert(s)", result.run_id, len(records))

    def _refresh(self, alerts: list[Alert], result: JobResult, now: datetime.datetime) -> None:
        """Write the REFRESH event that makes monitoring take a new reference for them."""
        self.registry.refresh()  # the event's id counts the model's events before it
        deployment = decide(
            self.registry.model(self.model_name),
            "REFRESH",
            None,
            actor=ACTOR,
            reason=refresh_reason(alerts, result.run_id, result.reason),
            decided_at=now,
            run_id=result.run_id,
            event_time=self._event_time(),
        )
        self.publisher.record_deployment(deployment)
        log.info(
            "run %s: the reference of v%d is refreshed for %d alert(s)",
            result.run_id,
            deployment["version"],
            len(alerts),
        )

    def _event_time(self) -> datetime.datetime | None:
        """The newest event time read (the features records'), for a decision's record."""
        now = self.triggers.now_ms
        return None if now is None else utc_datetime(now)

    def _newest_event(self) -> datetime.datetime | None:
        """The event time at a job's decision: its fit took wall seconds, which a fast
        clock makes an hour of events, so the log is read to its end first (if the
        cluster does not answer, the event time the job started at, a lower bound)."""
        try:
            self.watch.catch_up()
        except RegistryError as exc:
            log.warning("the event time at the decision is the job's start: %s", exc)
        return self._event_time()

    def _say_held(self) -> None:
        """Log an alerts' job held for want of rows, once for each set of alerts and start;
        the metrics say it at every step."""
        held = self.triggers.held
        self.metrics.show_held(held)
        said = None if held is None else (held.alert_ids, held.since_ms)
        if held is not None and said != self._held_said:
            log.info("training %s: %s", self.pipeline.name, held)
        self._held_said = said

    def _probation(self) -> None:
        """Judge a new champion against the one it replaced once enough labels after its
        promotion are known (`probation`); roll it back if that one does better."""
        spec = (self.pipeline.spec.retraining or RetrainingSpec()).probation
        if spec is None:
            return
        try:
            model = self.registry.model(self.model_name)
        except RegistryError:
            return
        candidate = on_probation(model)
        if candidate is None or candidate.version in self._judged:
            return
        known = self.triggers.labels_known(candidate.since_ms)
        if known < max(spec.min_labels, self._judge_at.get(candidate.version, 0)):
            return
        try:
            dataset = self.runner.build(since_ms=candidate.since_ms)
            verdict = judge(self.pipeline, dataset, candidate, self.registry, spec)
        except NoContest as exc:
            log.info("v%d: no probation, %s", candidate.version, exc)
            self._judged.add(candidate.version)
            return
        except Exception:  # a broken cluster or a bug: logged, tried again on more labels
            log.exception("probation of v%d failed", candidate.version)
            verdict = None
        if verdict is None:  # fewer matured rows than counted (or it failed): wait on
            self._judge_at[candidate.version] = known + spec.min_labels // 4
            return
        self._judged.add(candidate.version)
        said = (
            f"{verdict.metric} {verdict.new:.4f} against v{candidate.previous}'s "
            f"{verdict.old:.4f} on {verdict.rows} rows"
        )
        if not verdict.rollback:
            log.info("v%d passed its probation: %s", candidate.version, said)
            self.metrics.probations.labels(self.pipeline.name, "kept").inc()
            return
        deployment, alerts = rollback_records(
            self.pipeline,
            model,
            candidate,
            verdict,
            datetime.datetime.now(datetime.UTC),
            self._event_time(),
        )
        self.triggers.ran(tuple(a["alert_id"] for a in alerts), None, None, 0)  # answered
        self.publisher.record_deployment(deployment)
        for alert in alerts:
            self.publisher.record_alert(alert)
        log.warning("v%d rolled back to v%d: %s", candidate.version, candidate.previous, said)
        self.metrics.probations.labels(self.pipeline.name, "rolled_back").inc()

    def _champion(self) -> int | None:
        try:
            model = self.registry.model(self.model_name)
            champion, waiting = model.champion, model.challenger
        except RegistryError:
            champion = waiting = None
        # a first version waiting for approval is not retrained over and over meanwhile
        self.triggers.has_champion = champion is not None or waiting is not None
        self.triggers.champion_version = champion
        self.metrics.champion.labels(self.pipeline.name).set(champion or 0)
        return champion

    def close(self) -> None:
        self.watch.close()
        self.registry.close()
        self.publisher.close()


def run(pipeline_file: Path) -> None:
    """Train the pipeline's model whenever its policy says, until SIGTERM; bad config exits 2."""
    entry = start_service("training")
    settings = entry.settings(TrainingSettings)
    kafka, registry = entry.settings(KafkaSettings), entry.settings(SchemaRegistrySettings)
    pipeline = entry.pipeline(pipeline_file)
    missing = [s for s in ("features", "labels", "model") if getattr(pipeline.spec, s) is None]
    if missing:
        entry.cannot_start(f"{pipeline_file}: the spec has no {' and no '.join(missing)} section")
    entry.handle_stop_signals()
    if settings.ensure_topics and entry.ensure_topics(kafka, pipeline.name) is None:
        return  # stopped while waiting for the cluster
    service = TrainingService(pipeline, settings, kafka, registry)
    health = HealthServer(
        settings.health_host,
        settings.health_port,
        service.metrics_registry,
        live=lambda: True,
        ready=lambda: service.ready,
    ).start()
    log.info("training %s: /healthz /readyz /metrics on port %d", pipeline.name, health.port)
    try:
        service.start()
        while not entry.stopping.is_set():
            service.step(settings.poll_seconds)
    finally:
        service.close()
        health.stop()
