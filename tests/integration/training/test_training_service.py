"""The training service against the real broker and registry: the first model with no human
action, an operator's request that is rejected by the champion gate, a pause, and a fresh
process that rebuilds the same state from the log.

Features records and labels are written as the features and validation services would
(`tests.support.log_writer`), with a signal a model can learn: an event is fraud when its
amount is large (5% of the labels flipped). Labels of frauds come 10 minutes after the event;
the others become negatives once the 1 h delay has passed.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import os
import random
import re
import subprocess
import time

from sklearn.metrics import average_precision_score

from streamops.alerts import Issuer, Measurement, Window, alert_record
from streamops.contracts.types import Alert
from streamops.dataset import build_dataset
from streamops.pipeline import Pipeline, load_pipeline
from streamops.registry import ModelRegistry, decide, read_runs
from streamops.registry.follow import LogFollower
from streamops.registry.lineage import decode_run_event
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.topics import TopicNames
from streamops_training.cards import rebuild_holdout
from streamops_training.job import train
from streamops_training.records import version_record
from streamops_training.service import TrainingService
from streamops_training.settings import TrainingSettings
from streamops_training.triggers import Trigger
from tests.support.features_service import read_records
from tests.support.log_writer import LabelSent, Writer
from tests.support.pipelines import REPO, STREAMOPS

MINUTE = 60_000
T0 = 1_767_225_600_000
EVENTS = 3_000
#: The newest event time of `_fill`'s events
NEWEST = datetime.datetime.fromtimestamp((T0 + (EVENTS - 1) * 7_200) / 1000, datetime.UTC)


def _fill(writer: Writer, events: range = range(EVENTS)) -> None:
    rng = random.Random(3 + events.start)
    records, labels = [], []
    for n in events:
        t = T0 + n * 7_200  # 6 hours of event time for the first 3,000
        record = writer.record(n, t)
        amount = rng.lognormvariate(4, 1)
        record["amount"] = amount
        record["channel"] = rng.choice(["web", "pos", "mobile"])
        fraud = (amount > 150) != (rng.random() < 0.05)
        if fraud:
            labels.append(
                LabelSent(record["event_id"], record["entity_key"], 1.0, t, t + 10 * MINUTE)
            )
        records.append(record)
    writer.produce_features(records)
    writer.produce_labels(labels)


def _service(pipeline: Pipeline, kafka: str, registry: str) -> TrainingService:
    service = TrainingService(
        pipeline,
        TrainingSettings(
            health_port=0, cards_dir=pipeline.file.parent / "cards", timeout_seconds=20
        ),
        KafkaSettings(bootstrap_servers=kafka),
        SchemaRegistrySettings(url=registry),
    )
    service.start()
    return service


def _until_a_job_ran(service: TrainingService, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not service.step(0.2):
        assert time.monotonic() < deadline, "no job started"


def _cli(*args: str, kafka: str, registry: str) -> str:
    done = subprocess.run(
        [str(STREAMOPS), *args, "--bootstrap-servers", kafka, "--registry-url", registry],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if not k.startswith("STREAMOPS_")},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_first_model_trains_itself_then_the_gates_and_the_operator_have_their_say(
    kafka: str, schema_registry: str, pipeline: Pipeline
) -> None:
    _fill(Writer(kafka, schema_registry, pipeline))
    k, r = KafkaSettings(bootstrap_servers=kafka), SchemaRegistrySettings(url=schema_registry)
    service = _service(pipeline, kafka, schema_registry)
    try:
        assert service.triggers.labels_known() >= 2_400  # 5 of the 6 hours have matured
        _until_a_job_ran(service)  # no one asked: no champion and enough labels
        runs = read_runs(pipeline.name, k, r)
        assert [(x["trigger"]["kind"], x["outcome"]) for x in runs] == [("NO_CHAMPION", "PROMOTED")]
        first = runs[0]
        assert first["model_version"] == 1 and first["metrics"]["holdout"]["pr_auc"] > 0.8
        assert {g["gate"] for g in first["gates"]} >= {"parity", "beats_no_skill"}
        assert all(g["passed"] for g in first["gates"])
        assert first["dataset"] is not None and first["dataset"]["counts"]["labels_known"] > 0

        registry = ModelRegistry(pipeline.name, k, r)
        registry.refresh()
        model = registry.model(service.model_name)
        assert model.champion == 1
        promoted = model.history[-1]
        assert (promoted["action"], promoted["actor"], promoted["run_id"]) == (
            "PROMOTE",
            "training",
            first["run_id"],
        )
        assert promoted["gates"] == first["gates"]
        assert promoted["event_time"] == NEWEST  # the newest event read as it decided
        version = registry.version(service.model_name, 1)
        assert version["run_id"] == first["run_id"]
        assert "amount" in version["feature_names"] and "channel" in version["feature_names"]
        onnx = registry.load_artifact(service.model_name, 1)  # sha256 checked
        assert len(onnx) == version["onnx_size_bytes"]
        registry.close()

        lineage = _lineage(pipeline.name, kafka)
        assert [e["eventType"] for e in lineage] == ["START", "COMPLETE"]
        assert {e["run"]["runId"] for e in lineage} == {first["run_id"]}
        inputs = {i["name"] for i in lineage[1]["inputs"]}
        assert inputs == {f"{pipeline.name}.features", f"{pipeline.name}.labels.valid"}
        assert lineage[1]["outputs"][0]["name"] == f"{pipeline.name}.models"
        told = _cli(
            "lineage", pipeline.name, "--version", "1", kafka=kafka, registry=schema_registry
        )
        rows = [re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in told.splitlines()]
        shown = {row[0]: row[1] for row in rows if len(row) == 2}
        assert shown["run"] == first["run_id"]
        assert shown["spec sha256"] == hashlib.sha256(pipeline.file.read_bytes()).hexdigest()
        assert shown["trigger"].startswith("NO_CHAMPION")
        assert f"read {pipeline.name}.features" in shown
        assert f"read {pipeline.name}.labels.valid" in shown
        assert "START" in told and "COMPLETE" in told

        # the card the service wrote, and one rebuilt from the log alone
        written = pipeline.file.parent / "cards" / f"{service.model_name}-v1.html"
        assert written.read_text().count("<svg") >= 4
        rebuilt = pipeline.file.parent / "rebuilt"
        _cli(
            "models",
            "card",
            pipeline.name,
            "1",
            "--spec",
            str(pipeline.file),
            "--out",
            str(rebuilt),
            kafka=kafka,
            registry=schema_registry,
        )
        markdown = (rebuilt / f"{service.model_name}-v1.md").read_text()
        assert markdown.count("## ") >= 6
        assert "channel" in markdown.split("## Metrics by slice")[1]  # sliced by its categories
        holdout, scores = rebuild_holdout(pipeline, version, onnx, k, r)
        assert len(holdout) == version["training_window"]["holdout_count"]
        pr_auc = average_precision_score(holdout["label"].to_numpy(), scores)
        assert abs(pr_auc - version["metrics"]["pr_auc"]) < 1e-9  # the very same rows
        # and, for monitoring, the figure as bad as the holdout's noise allows
        assert 0 < version["metrics"]["holdout_lower.pr_auc"] < pr_auc

        # an operator asks again: the same data cannot beat the champion by the margin
        said = _cli(
            "train", pipeline.name, "--reason", "test", kafka=kafka, registry=schema_registry
        )
        assert "training requested" in said
        _until_a_job_ran(service, 60)
        runs = read_runs(pipeline.name, k, r)
        again = runs[-1]
        assert (again["trigger"]["kind"], again["outcome"]) == ("MANUAL", "REJECTED")
        assert "beats_champion" in again["reason"] and again["model_version"] is None

        _cli("retraining", "pause", pipeline.name, kafka=kafka, registry=schema_registry)
        deadline = time.monotonic() + 30
        while not service.triggers.paused:
            service.step(0.2)
            assert time.monotonic() < deadline, "the pause never arrived"
    finally:
        service.close()

    # a fresh process: the same champion, paused, and nothing left to answer
    fresh = _service(pipeline, kafka, schema_registry)
    try:
        assert fresh.triggers.has_champion and fresh.triggers.paused
        assert fresh.triggers.due() is None
        assert not fresh.step(0.5)
    finally:
        fresh.close()


def _lineage(pipeline: str, kafka: str) -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    follower = LogFollower(
        KafkaSettings(bootstrap_servers=kafka), [f"{pipeline}.lineage"], timeout_s=20
    )
    try:
        follower.catch_up(lambda m: events.append(decode_run_event(m.value() or b"")))
    finally:
        follower.close()
    return events


def test_with_manual_approval_a_passing_candidate_waits_as_challenger(
    kafka: str, schema_registry: str, pipeline: Pipeline
) -> None:
    text = pipeline.file.read_text().replace("approval: auto", "approval: manual")
    pipeline.file.write_text(text)
    held = load_pipeline(pipeline.file)
    _fill(Writer(kafka, schema_registry, held))
    service = _service(held, kafka, schema_registry)
    try:
        _until_a_job_ran(service)
        k, r = KafkaSettings(bootstrap_servers=kafka), SchemaRegistrySettings(url=schema_registry)
        runs = read_runs(held.name, k, r)
        assert [x["outcome"] for x in runs] == ["CHALLENGER"]
        assert "waiting for approval" in runs[0]["reason"]
        registry = ModelRegistry(held.name, k, r)
        registry.refresh()
        model = registry.model(service.model_name)
        assert (model.champion, model.challenger) == (None, 1)
        assert model.history[-1]["action"] == "SHADOW"
        registry.close()
        assert not service.step(0.5)  # held, not retrained meanwhile
        _cli(
            "models",
            "promote",
            held.name,
            "1",
            "--reason",
            "looked at the card",
            kafka=kafka,
            registry=schema_registry,
        )
        deadline = time.monotonic() + 30
        while service.registry.model(service.model_name).champion != 1:
            service.step(0.2)
            assert time.monotonic() < deadline, "the promotion never reached the service"
        # the operator's command read where the stream stands: its probation starts there
        promoted = service.registry.model(service.model_name).history[-1]
        assert (promoted["action"], promoted["event_time"]) == ("PROMOTE", NEWEST)
    finally:
        service.close()


def test_a_candidate_failing_parity_is_rejected_with_its_reason_and_nothing_published(
    kafka: str, schema_registry: str, pipeline: Pipeline
) -> None:
    # float32 in the ONNX graph against float64 in scikit-learn differ by ~1e-7: a
    # tolerance below that forces the parity gate to fail
    text = pipeline.file.read_text().replace(
        "parity_tolerance: 1.0e-4", "parity_tolerance: 1.0e-15"
    )
    pipeline.file.write_text(text)
    strict = load_pipeline(pipeline.file)
    _fill(Writer(kafka, schema_registry, strict))
    service = _service(strict, kafka, schema_registry)
    try:
        _until_a_job_ran(service)
    finally:
        service.close()
    k, r = KafkaSettings(bootstrap_servers=kafka), SchemaRegistrySettings(url=schema_registry)
    [run] = read_runs(strict.name, k, r)
    assert run["outcome"] == "REJECTED" and run["model_version"] is None
    assert run["reason"].startswith("parity: ONNX and scikit-learn differ by up to"), run["reason"]
    parity = next(g for g in run["gates"] if g["gate"] == "parity")
    assert not parity["passed"]
    registry = ModelRegistry(strict.name, k, r)
    registry.refresh()
    assert registry.model_names == []  # nothing published, nothing deployed
    registry.close()
    lineage = _lineage(strict.name, kafka)
    assert [e["eventType"] for e in lineage] == ["START", "COMPLETE"]
    assert lineage[1]["outputs"] == []


def test_a_new_champion_worse_than_the_one_it_replaced_is_rolled_back_on_its_first_labels(
    kafka: str, schema_registry: str, pipeline: Pipeline
) -> None:
    _fill(Writer(kafka, schema_registry, pipeline))
    k, r = KafkaSettings(bootstrap_servers=kafka), SchemaRegistrySettings(url=schema_registry)
    service = _service(pipeline, kafka, schema_registry)
    try:
        _until_a_job_ran(service)  # v1, promoted by training
        # an operator promotes v2, fitted on the same rows with every label turned round
        dataset = build_dataset(pipeline, k, r)
        label = [c.name for c in dataset.columns].index("label")
        flipped = dataclasses.replace(
            dataset,
            rows=[(*row[:label], 1.0 - row[label], *row[label + 1 :]) for row in dataset.rows],
        )
        trained = train(flipped, pipeline, after_drift=False, current_features=None)
        now = datetime.datetime.now(datetime.UTC)
        record = version_record(
            trained,
            pipeline=pipeline.name,
            version=2,
            run_id="by-hand",
            identity=dataset.identity,
            parent=1,
            spec_file=pipeline.file,
            trigger=Trigger("manual", "by hand"),
            created_at=now,
        )
        service.publisher.publish_version(record, trained.onnx_model)
        state = service.registry.wait_for_version(service.model_name, 2, 30)
        # promoted just after the newest event written: judged on the events after it
        promoted_at = datetime.datetime.fromtimestamp((T0 + EVENTS * 7_200) / 1000, datetime.UTC)
        promote = decide(
            state,
            "PROMOTE",
            2,
            actor="operator",
            reason="a hunch",
            decided_at=now,
            event_time=promoted_at,
        )
        service.publisher.record_deployment(promote)
        deadline = time.monotonic() + 30  # the service's registry reads it in its own time
        while service.registry.model(service.model_name).champion != 2:
            assert not service.step(0.2)  # no labels after its promotion yet
            assert time.monotonic() < deadline, "the promotion never reached the service"
        # four more hours of events and their labels: v1 would have done better
        _fill(Writer(kafka, schema_registry, pipeline), range(EVENTS, EVENTS + 2_000))
        deadline = time.monotonic() + 60
        while service.registry.model(service.model_name).champion != 1:
            service.step(0.2)
            assert time.monotonic() < deadline, "v2 was not rolled back"
        model = service.registry.model(service.model_name)
        rollback = model.history[-1]
        assert (rollback["action"], rollback["version"], rollback["actor"]) == (
            "ROLLBACK",
            1,
            "training",
        )
        assert rollback["reason"].startswith("probation: v2 pr_auc"), rollback["reason"]
        assert "rows labelled after its promotion" in rollback["reason"], rollback["reason"]
        assert rollback["event_time"] is not None and rollback["event_time"] > promoted_at
        alerts = read_records(kafka, schema_registry, TopicNames(pipeline.name).alerts, 1)
        assert [(a["kind"], a["state"], a["model_version"]) for a in alerts] == [
            ("MODEL_PERFORMANCE", "OPEN", 2),
            ("MODEL_PERFORMANCE", "RESOLVED", 2),
        ]
        assert alerts[0]["details"]["rolled_back_to"] == "1"
        # its window: the events from the promotion to the newest, in event time
        assert alerts[0]["window"]["start"] == promoted_at
        assert alerts[0]["window"]["end"] == rollback["event_time"]
        assert alerts[0]["value"] < alerts[0]["threshold"]  # v2's pr_auc below v1's
        assert not service.step(0.5)  # its own alert starts no job
        verdicts = service.metrics.probations.labels(pipeline.name, "rolled_back")
        assert verdicts._value.get() == 1
    finally:
        service.close()


def _performance_alert(pipeline: Pipeline, version: int, at_ms: int, level: int) -> Alert:
    """A MODEL_PERFORMANCE alert about ``version`` as monitoring writes it, OPEN at
    ``at_ms`` (event time), the metric ``level`` max_drop short of the holdout's."""
    issuer = Issuer(pipeline.name, "MODEL_PERFORMANCE", "CRITICAL", "fraud-detector", version)
    window = Window(at_ms - 60 * MINUTE, at_ms, 5_000, clock="event")
    measurement = Measurement(
        "model_performance:fraud-detector",
        "pr_auc",
        0.8 * (1 - 0.1 * level),
        0.72,
        opens=True,
        resolves=False,
        details={"level": str(level)},
    )
    current = {"alert_id": "perf-1", "opened_at": T0 + 6 * 60 * MINUTE}
    return alert_record(issuer, measurement, window, current, "OPEN")


def test_an_alert_answered_once_is_answered_again_when_monitoring_says_it_grew(
    kafka: str, schema_registry: str, pipeline: Pipeline
) -> None:
    """MODEL_PERFORMANCE opened near the holdout's figure and retrained on; then emitted
    OPEN again, the metric a whole max_drop further down, after that job's cut-off: a
    second job answers it, and a service started afterwards reads from the log that both
    are answered (make loop's chaos test once waited for good on the second)."""
    k, r = KafkaSettings(bootstrap_servers=kafka), SchemaRegistrySettings(url=schema_registry)
    _fill(Writer(kafka, schema_registry, pipeline))
    service = _service(pipeline, kafka, schema_registry)
    try:
        _until_a_job_ran(service)  # v1
        opened = T0 + (EVENTS - 1) * 7_200  # the newest event: the first job's cut-off
        service.publisher.record_alert(_performance_alert(pipeline, 1, opened, 1))
        _fill(Writer(kafka, schema_registry, pipeline), range(EVENTS, EVENTS + 300))  # 36 min
        _until_a_job_ran(service)
        assert not service.step(0.5)  # answered: the same OPEN read again starts nothing
        champion = service.registry.model(service.model_name).champion
        assert champion is not None
        _fill(Writer(kafka, schema_registry, pipeline), range(EVENTS + 300, EVENTS + 600))
        grown = T0 + (EVENTS + 550) * 7_200  # after the second job's cut-off
        service.publisher.record_alert(_performance_alert(pipeline, champion, grown, 2))
        _until_a_job_ran(service)
    finally:
        service.close()
    runs = [run for run in read_runs(pipeline.name, k, r) if run["trigger"]["kind"] == "ALERT"]
    assert [run["trigger"]["alert_ids"] for run in runs] == [["perf-1"], ["perf-1"]]
    again = _service(pipeline, kafka, schema_registry)
    try:
        _fill(Writer(kafka, schema_registry, pipeline), range(EVENTS + 600, EVENTS + 900))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # past every cooldown: nothing waits
            assert not again.step(0.2)
    finally:
        again.close()
