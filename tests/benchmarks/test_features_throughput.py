"""Features benchmark: the features service against the raw ceiling, faust, compute alone.

``BENCH_FEATURES_EVENTS`` (200,000) fraud events from `tests.support.feature_streams`
(28 h of event time, 5,000 cards of which 3 busy ones carry 1.5% of the events each,
same-time twins, out-of-order and late arrivals) are produced once to a private
pipeline's ``{p}.events.valid`` (Avro, keyed by card id, 3 partitions). Then, runs
interleaved and rotated (``BENCH_RUNS``, 3), median reported:

1. raw confluent-kafka consume + produce of the same bytes (`raw_passthrough`, the ceiling);
2. ``streamops run features`` exactly-once, memory store, changelog on, a fresh group per
   run (so offset 0 and empty state; its changelog is ``{group}.windows.changelog``);
3. a faust-streaming agent with a table computing the same features (`faust_features`);
4. the engine's compute alone, in this process (`features_memory.compute_alone`).

1-3 are each their own process, their rate measured from outside, from the group's first
to last committed offset. Every record the service and faust wrote is read back: one per
event, and the values equal what `FeatureEngine` computes in memory (exactly for the
service, to 1e-9 for faust). Then
5. `OnlineView.vector` per event, the view rebuilt from the last service run's changelog;
6. state bytes per entity from the service's /metrics, and the busy entities' own.

``BENCH_FEATURES_BATCH`` (5,000) is the service's batch (`STREAMOPS_STREAM_BATCH_MAX_RECORDS`)
and the compute's. ``BENCH_FEATURES_PROFILE=1`` adds a service run under cProfile and
prints its top costs.
Figures go to docs/benchmarks.md ("Features (issue 9)").
"""

from __future__ import annotations

import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import urllib.request
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from prometheus_client.parser import text_string_to_metric_families

from streamops.features import STORE, FeatureSet, OnlineView, feature_set
from streamops.pipeline import Pipeline
from streamops.serde import AvroDecoder, AvroEncoder, value_subject
from streamops.settings import KafkaSettings
from streamops.state.records import encode_entry
from streamops.topics import TopicNames
from tests.benchmarks.features_memory import (
    REPEATS,
    BusyShare,
    Landed,
    Latency,
    Reference,
    busy_share,
    compute_alone,
    view_latency,
    view_queries,
)
from tests.support.confluent import registry_client
from tests.support.feature_streams import HOUR_MS, landing, transaction_stream
from tests.support.kafka import create_topic, end_offsets, free_port, unique_name
from tests.support.pipelines import STREAMOPS, create_topics, private_pipeline
from tests.support.stage_process import REPO, committed_rate, stop

EVENTS = int(os.environ.get("BENCH_FEATURES_EVENTS", "200000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
PROFILE = os.environ.get("BENCH_FEATURES_PROFILE") == "1"
BATCH = int(os.environ.get("BENCH_FEATURES_BATCH", "5000"))
PARTITIONS, BUSY_CARDS, VIEW_QUERIES = 3, 3, 12_000
RESULTS = REPO / "var" / "bench" / "features.json"
RAW, SERVICE, FAUST = (
    "raw confluent-kafka consume+produce (ceiling)",
    "streamops features service, exactly-once",
    "faust-streaming agent + table (at-least-once)",
)
ALONE, COMMIT = (
    "compute alone: FeatureEngine.apply, memory state",
    "compute + state commit (changelog records)",
)


# -- input ---------------------------------------------------------------------------------


def _produce(kafka: str, registry: str, pipeline: Pipeline) -> list[Landed]:
    """The stream, on ``{p}.events.valid``; where each event landed (checked on the topic)."""
    events = transaction_stream(EVENTS, seed=9, busy_cards=BUSY_CARDS)
    topic = TopicNames(pipeline.name).events_valid
    encoder = AvroEncoder(registry_client(registry), value_subject(topic), pipeline.event_schema)
    producer = Producer({"bootstrap.servers": kafka, "linger.ms": 20})
    for e in events:
        while True:
            try:
                producer.produce(topic, encoder.encode(e), e["card_id"])
                break
            except BufferError:
                producer.poll(0.1)
    assert producer.flush(120) == 0
    where = landing(events, PARTITIONS)
    landed: list[Landed] = [(p, o, e) for (p, o), e in zip(where, events, strict=True)]
    per_partition = Counter(p for p, _, _ in landed)
    probe = Consumer({"bootstrap.servers": kafka, "group.id": unique_name("bench-probe")})
    for p in range(PARTITIONS):
        low, high = probe.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        assert (low, high) == (0, per_partition[p]), "librdkafka's partitioner is crc32"
    probe.close()
    return landed


# -- running a contender ---------------------------------------------------------------------


def _measure(
    command: list[str], env: dict[str, str] | None, kafka: str, topic: str, group: str, log: Path
) -> tuple[subprocess.Popen[bytes], float]:
    """Start ``command``; events/s between the group's first and last commit on ``topic``.
    Returns the process still running (the caller scrapes it, then stops it)."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        rate, first_commit = committed_rate(
            proc, kafka, group, topic, PARTITIONS, EVENTS, 120 + EVENTS / 100, log
        )
    except BaseException:
        stop(proc)
        raise
    if first_commit >= EVENTS:
        stop(proc)
        raise AssertionError(f"one commit took all {EVENTS:,} events: raise BENCH_FEATURES_EVENTS")
    return proc, rate


def _service_env(kafka: str, registry: str, group: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "STREAMOPS_KAFKA_BOOTSTRAP_SERVERS": kafka,
        "STREAMOPS_SCHEMA_REGISTRY_URL": registry,
        "STREAMOPS_FEATURES_GROUP_ID": group,
        "STREAMOPS_FEATURES_HEALTH_PORT": str(port),
        "STREAMOPS_STREAM_PROCESSING_GUARANTEE": "exactly_once",
        "STREAMOPS_STREAM_BATCH_MAX_RECORDS": str(BATCH),
        "STREAMOPS_STREAM_INSTANCE_ID": group,
        "STREAMOPS_STATE_BACKEND": "memory",
    }


def _state_metrics(port: int) -> dict[str, float]:
    """The service's `streamops_state_*` figures of the windows store."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as page:
        text = page.read().decode()
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("streamops_state_")
        and not sample.name.endswith("_created")
        and sample.labels.get("store") == STORE
    }


# -- checking what was written -----------------------------------------------------------------


def _read_back(kafka: str, registry: str, topic: str, start: dict[int, int]) -> list[Any]:
    """The committed records of ``topic`` from ``start`` on, decoded."""
    decoder = AvroDecoder(registry_client(registry))
    consumer = Consumer(
        {
            "bootstrap.servers": kafka,
            "group.id": unique_name("bench-reader"),
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "isolation.level": "read_committed",
        }
    )
    consumer.assign([TopicPartition(topic, p, o) for p, o in start.items()])
    left, out = set(start), []
    try:
        while left:
            for m in consumer.consume(10_000, 1.0):
                error = m.error()
                if error is None:
                    out.append(decoder.decode(m.value()))
                elif error.code() == KafkaError._PARTITION_EOF:
                    left.discard(m.partition())
                else:
                    raise AssertionError(error.str())
    finally:
        consumer.close()
    return out


def _differences(records: list[Any], reference: Reference, names: list[str], exact: bool) -> int:
    """Check one record per event; count those whose values differ from the reference."""
    seen = [(r["source_partition"], r["source_offset"]) for r in records]
    assert len(seen) == EVENTS and set(seen) == set(reference), "one record per event"
    differ = 0
    for r, at in zip(records, seen, strict=True):
        late, vector = reference[at]
        got = [r[n] for n in names]
        if r["late"] != late or not (got == vector if exact else _close(got, vector)):
            differ += 1
    return differ


def _close(got: list[Any], want: list[Any]) -> bool:
    return all(
        a == b or (a is not None and b is not None and abs(a - b) <= 1e-9 * max(1.0, abs(b)))
        for a, b in zip(got, want, strict=True)
    )


# -- the benchmark ---------------------------------------------------------------------------------


def _commands(
    kafka: str, registry: str, pipeline: Pipeline, run: int
) -> dict[str, tuple[list[str], str, str | None]]:
    """Per contender: its command, its group, and its output topic (None: the catalog's)."""
    p, src = pipeline.name, TopicNames(pipeline.name).events_valid
    raw_out, faust_out = f"{p}.out-raw-{run}", f"{p}.out-faust-{run}"
    raw = [sys.executable, "-m", "tests.benchmarks.raw_passthrough"]
    raw += ["--bootstrap-servers", kafka]
    faust = [sys.executable, "-m", "tests.benchmarks.faust_features", "--pipeline"]
    faust += [str(pipeline.file), "--registry-url", registry, "--bootstrap-servers", kafka]
    return {
        RAW: (
            [*raw, "--input", src, "--output", raw_out, "--group", f"{p}.raw-{run}"],
            f"{p}.raw-{run}",
            raw_out,
        ),
        SERVICE: (
            [str(STREAMOPS), "run", "features", "--pipeline", str(pipeline.file)],
            f"{p}.features-{run}",
            None,
        ),
        FAUST: (
            [*faust, "--input", src, "--output", faust_out, "--group", f"{p}.faust-{run}"],
            f"{p}.faust-{run}",
            faust_out,
        ),
    }


@pytest.mark.timeout(1800 + RUNS * EVENTS // 50)
def test_features_throughput(kafka: str, schema_registry: str, tmp_path: Path) -> None:
    pipeline = private_pipeline(tmp_path, prefix="benchfeat")
    create_topics(kafka, pipeline)
    admin = AdminClient({"bootstrap.servers": kafka})
    try:
        _benchmark(kafka, schema_registry, pipeline, tmp_path)
    finally:
        mine = [t for t in admin.list_topics(timeout=30).topics if t.startswith(pipeline.name)]
        for future in admin.delete_topics(mine, operation_timeout=60).values():
            future.result(timeout=60)


def _benchmark(kafka: str, registry: str, pipeline: Pipeline, tmp_path: Path) -> None:
    landed = _produce(kafka, registry, pipeline)
    features = feature_set(pipeline)
    times = [e[features.time_field] for _, _, e in landed]
    span_h = (max(times) - min(times)) / HOUR_MS
    per_card = Counter(e[features.key_field] for _, _, e in landed)
    busy = {card for card, _ in per_card.most_common(BUSY_CARDS)}
    assert span_h > 24 and sum(per_card[c] for c in busy) > 0.04 * EVENTS
    reference = compute_alone(features, landed, BATCH).records  # also warms up

    rates: dict[str, list[float]] = {RAW: [], SERVICE: [], FAUST: [], ALONE: [], COMMIT: []}
    state: list[dict[str, float]] = []
    last_group = ""
    for run in range(RUNS):
        names = [RAW, SERVICE, FAUST, ALONE]
        for name in names[run % 4 :] + names[: run % 4]:
            if name == ALONE:
                figures = compute_alone(features, landed, BATCH)
                rates[ALONE].append(EVENTS / figures.apply_s)
                rates[COMMIT].append(EVENTS / (figures.apply_s + figures.commit_s))
            else:
                command, group, out = _commands(kafka, registry, pipeline, run)[name]
                rate, metrics = _run_contender(
                    kafka, registry, pipeline, name, command, group, out, reference, tmp_path
                )
                rates[name].append(rate)
                if name == SERVICE:
                    state.append(metrics)
                    last_group = group
            print(f"run {run + 1}/{RUNS}  {name:<50} {rates[name][-1]:>9,.0f} events/s", flush=True)

    view = OnlineView(features, KafkaSettings(bootstrap_servers=kafka), stage=last_group)
    view.start()
    try:
        assert view.wait_caught_up(300), "the view read the service's changelog"
        queries = view_queries(landed, features.time_field, VIEW_QUERIES)
        latency = view_latency(view, queries, features.key_field, busy)
        busiest = [view.rows(card) for card in busy]
        busy_bytes = [len(encode_entry(r[0][-1], r)) for r in busiest if r]
        assert view.entities == state[-1]["streamops_state_keys"], "the view holds the service's"
    finally:
        view.close()

    share = busy_share(features, landed, busy)
    profile = _profile(kafka, registry, pipeline, tmp_path) if PROFILE else None
    _report(features, rates, share, latency, state, busy_bytes, span_h, per_card, profile)


def _run_contender(
    kafka: str,
    registry: str,
    pipeline: Pipeline,
    name: str,
    command: list[str],
    group: str,
    out: str | None,
    reference: Reference,
    tmp_path: Path,
) -> tuple[float, dict[str, float]]:
    """One run of a Kafka contender: its rate, the service's state figures, and its
    records checked against the reference (one per event; the same values)."""
    source, features = TopicNames(pipeline.name).events_valid, TopicNames(pipeline.name).features
    env, port = None, free_port()
    if out is not None:
        create_topic(kafka, out, PARTITIONS)
    # where this run's records start: a fresh topic's beginning, or the end of the features
    # topic, which every service run writes to
    fresh = dict.fromkeys(range(PARTITIONS), 0)
    start = end_offsets(kafka, features, PARTITIONS) if out is None else fresh
    if name == SERVICE:
        env = _service_env(kafka, registry, group, port)
    log = tmp_path / f"{name[:8].strip()}.log"
    proc, rate = _measure(command, env, kafka, source, group, log)
    metrics: dict[str, float] = {}
    try:
        if name == SERVICE:
            metrics = _state_metrics(port)
    finally:
        code = stop(proc)
    assert name != SERVICE or code == 0, f"the service stops cleanly; see {log}"
    names = feature_set(pipeline).names
    if name == SERVICE:
        written = _read_back(kafka, registry, features, start)
        assert _differences(written, reference, names, True) == 0, "what the engine computes"
    elif name == FAUST:
        written = _read_back(kafka, registry, out or features, start)
        assert _differences(written, reference, names, False) == 0, "faust computes the same"
    return rate, metrics


def _profile(kafka: str, registry: str, pipeline: Pipeline, tmp_path: Path) -> str:
    """One more service run under cProfile; its top costs by own time."""
    group = f"{pipeline.name}.features-profiled"
    out = tmp_path / "service.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(out), str(STREAMOPS)]
    command += ["run", "features", "--pipeline", str(pipeline.file)]
    env = _service_env(kafka, registry, group, free_port())
    source = TopicNames(pipeline.name).events_valid
    proc, rate = _measure(command, env, kafka, source, group, tmp_path / "profiled.log")
    stop(proc)
    text = io.StringIO()
    stats = pstats.Stats(str(out), stream=text)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(30)
    return f"profiled service run (cProfile on): {rate:,.0f} events/s\n{text.getvalue()}"


def _report(
    features: FeatureSet,
    rates: dict[str, list[float]],
    share: BusyShare,
    latency: Latency,
    state: list[dict[str, float]],
    busy_bytes: Sequence[int],
    span_h: float,
    per_card: Counter[str],
    profile: str | None,
) -> None:
    median = {name: statistics.median(values) for name, values in rates.items()}
    raw, service, faust = median[RAW], median[SERVICE], median[FAUST]
    m = {k: statistics.median(s[k] for s in state) for k in state[0]}
    keys, held = m["streamops_state_keys"], m["streamops_state_bytes"]
    busy_events = sum(n for _, n in per_card.most_common(BUSY_CARDS))
    first = {b: latency.quantiles("first", b) for b in (None, False, True)}
    best = {b: latency.quantiles("best", b) for b in (None, False, True)}
    print(
        f"\nfeatures: {EVENTS:,} events over {span_h:.1f} h of event time, {len(per_card):,} "
        f"cards ({BUSY_CARDS} busy with {busy_events / EVENTS:.1%} of the events), fraud spec "
        f"({len(features.names)} features), {PARTITIONS} partitions, batches of {BATCH:,}, "
        f"median of {RUNS} runs"
    )
    print(f"{'contender':<50} {'events/s':>10} {'vs raw':>7} {'vs faust':>9}  runs")
    for name, value in median.items():
        runs = " / ".join(f"{r:,.0f}" for r in rates[name])
        print(f"{name:<50} {value:>10,.0f} {value / raw:>7.0%} {value / faust:>8.1f}x  {runs}")
    print(
        f"compute one by one: {share.all_s / EVENTS * 1e6:.1f} µs/event on average; "
        f"busy cards' events {share.busy_s / share.busy_events * 1e6:.0f} µs each, "
        f"{share.busy_s / share.all_s:.0%} of the compute for "
        f"{share.busy_events / EVENTS:.1%} of the events; the others "
        f"{(share.all_s - share.busy_s) / (EVENTS - share.busy_events) * 1e6:.1f} µs each"
    )
    print(
        f"online view vector() µs over {len(latency.busy):,} events "
        f"({sum(latency.busy):,} of busy cards), p50 / p99:"
    )
    for label, b in (("all", None), ("ordinary cards", False), ("busy cards", True)):
        print(
            f"  {label:<15} first call {first[b][0]:>6.0f} / {first[b][1]:>6.0f}   "
            f"best of {REPEATS} {best[b][0]:>6.0f} / {best[b][1]:>6.0f}"
        )
    print(
        f"state at the end (service /metrics): {keys:,.0f} entities, {held:,.0f} B, "
        f"{held / keys:,.0f} B/entity; busy cards {', '.join(f'{b:,}' for b in busy_bytes)} B; "
        f"changelog "
        f"{m['streamops_state_changelog_records_total'] / EVENTS:.3f} records and "
        f"{m['streamops_state_changelog_bytes_total'] / EVENTS:,.0f} B per event"
    )
    targets = {
        "service >= 30,000 events/s": service >= 30_000,
        "service >= 50,000 events/s (stretch)": service >= 50_000,
        "service >= 10x faust": service >= 10 * faust,
        f"online view p99 <= 200 µs (best of {REPEATS})": best[None][1] <= 200,
        "online view p99 <= 200 µs (first call)": first[None][1] <= 200,
    }
    for target, met in targets.items():
        print(f"target {target:<40} {'met' if met else 'MISSED'}")
    if profile:
        print(profile)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "events": EVENTS,
                "runs": rates,
                "median": median,
                "view_us": {
                    "first_call": {str(b): q for b, q in first.items()},
                    f"best_of_{REPEATS}": {str(b): q for b, q in best.items()},
                },
                "state": m,
                "busy_bytes": list(busy_bytes),
                "targets": targets,
            },
            indent=2,
        )
    )
