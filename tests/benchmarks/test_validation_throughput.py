"""Validation throughput per worker: streamops vs pandera, same micro-batches, same rules.

100,000 generated fraud transactions (3% with one injected fault each), in micro-batches
of 5,000 decoded records, as the stage hands them over. Both contenders apply the fraud
spec's field rules plus uniqueness of the event id; every batch, both must reject exactly
the same records, or the benchmark fails. pandera gets its DataFrame built from the same
records (a stream stage has no DataFrame); its time is shown with and without that step.
`make bench` runs it; figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import time
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from prometheus_client import CollectorRegistry

from streamops.pipeline import Pipeline, load_pipeline
from streamops.runtime import BatchResult, InRecord
from streamops.state import StageState
from streamops_examples.fraud.generator import generate
from streamops_examples.fraud.scenarios import load_scenario
from streamops_validation.validator import ValidationTopics, Validator, validation_stores
from tests.support.kafka import unique_name
from tests.support.pipelines import STREAMOPS, create_topics, private_pipeline, produce_events
from tests.support.stage_process import Committed
from tests.unit.state.fakes import FakeChangelog

REPO = Path(__file__).resolve().parents[2]
EVENTS, BATCH, RUNS = 100_000, 5_000, 5


def _pandera_schema(pipeline: Pipeline) -> pa.DataFrameSchema:
    columns: dict[str, pa.Column] = {}
    for name, e in pipeline.spec.expectations.fields.items():
        checks = []
        if e.range is not None:
            checks.append(pa.Check.in_range(e.range.min, e.range.max))
        if e.allowed is not None:
            checks.append(pa.Check.isin(e.allowed))
        if e.regex is not None:
            checks.append(pa.Check.str_matches(f"^(?:{e.regex})$"))  # ours is a fullmatch
        if e.max_length is not None:
            checks.append(pa.Check.str_length(max_value=e.max_length))
        columns[name] = pa.Column(nullable=not e.not_null, checks=checks, coerce=False)
    window = pipeline.spec.expectations.window
    for name in window.unique if window is not None else []:
        column = columns[name]
        columns[name] = pa.Column(checks=column.checks, nullable=column.nullable, unique=True)
    return pa.DataFrameSchema(columns, strict=False)


def _pandera_invalid(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> set[int]:
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        index = exc.failure_cases["index"].dropna()
        return {int(i) for i in index}
    return set()


def _fresh_validator(pipeline: Pipeline) -> tuple[Validator, StageState]:
    """A validator with empty in-memory state, as a fresh worker holding partition 0."""
    state = StageState(validation_stores(pipeline), consumer_factory=FakeChangelog().consumer)
    state.bind("fraud.validation", CollectorRegistry())
    state.assign({0}, {})
    topics = ValidationTopics("fraud.events.raw", "fraud.events.valid", "fraud.alerts", "p")
    return Validator(pipeline, state, topics, 1, "fraud.validation"), state


def _validate(validator: Validator, state: StageState, batch: list[InRecord]) -> BatchResult:
    """One batch as the runtime runs it: the transform, then its state changes committed."""
    state.begin()
    result = validator.validate_batch(batch)
    state.prepare_commit({("fraud.events.raw", 0): batch[-1].offset + 1})  # changelog records
    state.commit()
    return result


def test_validation_throughput_vs_pandera() -> None:
    pipeline = load_pipeline(REPO / "deploy" / "pipelines" / "fraud.yaml")
    scenario = load_scenario(REPO / "deploy" / "pipelines" / "scenarios" / "dirty-3pct.yaml")
    values = [g.event for g in generate(EVENTS, seed=3, scenario=scenario)]
    batches = [
        [
            InRecord("fraud.events.raw", 0, i + j, None, None, None, v)
            for j, v in enumerate(values[i : i + BATCH])
        ]
        for i in range(0, EVENTS, BATCH)
    ]
    schema = _pandera_schema(pipeline)

    ours: list[float] = []
    theirs_total: list[float] = []
    theirs_validate: list[float] = []
    for _ in range(RUNS):
        validator, state = _fresh_validator(pipeline)
        started = time.perf_counter()
        results = [_validate(validator, state, batch) for batch in batches]
        ours.append(EVENTS / (time.perf_counter() - started))

        build = check = 0.0
        for batch, result in zip(batches, results, strict=True):
            t0 = time.perf_counter()
            frame = pd.DataFrame([r.value for r in batch])
            t1 = time.perf_counter()
            invalid = _pandera_invalid(schema, frame)
            t2 = time.perf_counter()
            build, check = build + t1 - t0, check + t2 - t1
            rejected = {r.record.offset - batch[0].offset for r in result.rejected}
            assert invalid == rejected, "both must reject exactly the same records"
        theirs_total.append(EVENTS / (build + check))
        theirs_validate.append(EVENTS / check)

    rejected_total = sum(len(r.rejected) for r in results)
    print(
        f"\nvalidation, fraud spec (17 field rules + unique id), {EVENTS:,} events "
        f"({rejected_total:,} invalid) in batches of {BATCH:,}, median of {RUNS} runs"
    )
    print(f"{'contender':<44} {'events/s':>12} {'vs pandera':>11}")
    o, t, tv = (statistics.median(x) for x in (ours, theirs_total, theirs_validate))
    print(f"{'streamops Validator (+ state commit)':<44} {o:>12,.0f} {o / t:>10.1f}x")
    print(f"{'pandera (DataFrame build + validate lazy)':<44} {t:>12,.0f} {1:>10.1f}x")
    print(f"{'pandera (validate only, DataFrame given)':<44} {tv:>12,.0f} {tv / t:>10.1f}x")
    print(
        f"target >= 50,000 events/s per worker: {'met' if o >= 50_000 else 'MISSED'}; "
        f"faster than pandera: {'yes' if o > t else 'NO'}"
    )


def test_validation_service_end_to_end(kafka: str, schema_registry: str, tmp_path: Path) -> None:
    """The whole service on one worker: decode, validate, encode, produce, commit."""
    pipeline = private_pipeline(tmp_path)
    create_topics(kafka, pipeline)
    scenario = load_scenario(REPO / "deploy" / "pipelines" / "scenarios" / "dirty-3pct.yaml")
    produce_events(
        kafka, schema_registry, pipeline, list(generate(EVENTS, seed=3, scenario=scenario))
    )
    raw = f"{pipeline.name}.events.raw"
    rates = []
    for run in range(3):
        group = unique_name("bench-validation")
        env = {
            **os.environ,
            "STREAMOPS_KAFKA_BOOTSTRAP_SERVERS": kafka,
            "STREAMOPS_SCHEMA_REGISTRY_URL": schema_registry,
            "STREAMOPS_VALIDATION_GROUP_ID": group,
            "STREAMOPS_VALIDATION_HEALTH_PORT": "0",
            "STREAMOPS_STREAM_INSTANCE_ID": f"bench-{run}",
        }
        with open(tmp_path / "service.log", "ab") as log:
            process = subprocess.Popen(
                [str(STREAMOPS), "run", "validation", "--pipeline", str(pipeline.file)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        read = Committed(kafka, group, [(raw, p) for p in range(3)])
        try:
            first: tuple[float, int] | None = None
            deadline = time.monotonic() + 300
            while (done := read.total()) < EVENTS:
                assert process.poll() is None and time.monotonic() < deadline, "see service.log"
                if first is None and done > 0:
                    first = (time.monotonic(), done)
                time.sleep(0.05)
            assert first is not None
            rates.append((EVENTS - first[1]) / (time.monotonic() - first[0]))
        finally:
            read.close()
            process.send_signal(signal.SIGTERM)
            process.wait(60)
    print(
        f"\nvalidation service end to end (Kafka in, valid/DLQ out, at-least-once), one "
        f"worker, {EVENTS:,} events of 16 fields: runs {[f'{r:,.0f}' for r in rates]}, "
        f"median {statistics.median(rates):,.0f} events/s"
    )
