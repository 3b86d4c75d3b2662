"""Scale-out benchmark: one and two replicas of validation, features and stream scoring.

For each service, a private fraud pipeline (3 partitions) gets ``BENCH_REPLICAS_EVENTS``
(120,000) records preloaded on the service's input: generated transactions (3% faulty,
PII treated, Avro) on ``{p}.events.raw`` for validation; valid transactions
(`tests.support.feature_streams`) on ``{p}.events.valid`` for features; features records
(`tests.support.log_writer`) on ``{p}.features`` for serving in stream mode, which scores
them with a promoted 100-tree depth-10 random forest into ``{p}.predictions``. Then
``streamops run SERVICE`` runs with one replica, and with two (two processes in one
consumer group, their own instance ids and health ports), interleaved 1, 2, 1, 2, ...
(``BENCH_RUNS``, 3), a fresh group each time (so offset 0 and empty state), each service
with its own default guarantee (features exactly-once, the others at-least-once). The rate
is measured from outside, from the group's first to last committed offset over all
partitions, median reported; beside it the rate "after the join", from the first commit
seen once the broker shows every replica holding partitions, which leaves out the second
replica's arrival. Every run must grow the outputs by one record per input (valid + DLQ
for validation); at-least-once may add a batch redone after a rebalance, no more. The
services' logs stay in the test's tmp_path.

What a second replica can buy here, and what it cannot: a replica is one Python process
whose transform holds the GIL, so it uses at most about one core (plus librdkafka's
threads). The broker, the schema registry, this test's polling and whatever else runs on
the machine share the same two cores (``os.cpu_count()`` is printed). So a second replica
cannot double the rate: it gets the part of the second core the broker and the rest leave
idle, and adds work for them (a second set of clients, twice the fetches, commits and
transactions). What it can buy is overlap: one replica computes while the other waits on
the broker (flush, commit, transaction round trips), which a single replica spends idle.
It also pays for the join: the first replica to join starts alone (the local broker's
``group.initial.rebalance.delay.ms`` is 0) and gives up partitions when the second
arrives, and a stateful stage (validation, features) then restores the moved partitions'
state from the changelog; the headline rate includes that, "after the join" does not
(the restore after it, it does). With 3
partitions the group splits them 2:1, so even on idle cores the replica holding two
partitions sets the pace: 1.5x is the ceiling, and more replicas than partitions would sit
idle. The records each replica consumed are printed, which shows the split. On machines
with cores to spare (or replicas on their own nodes) the same test measures real scaling.
"""

from __future__ import annotations

import os
import statistics
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from confluent_kafka import ConsumerGroupState, KafkaException
from confluent_kafka.admin import AdminClient
from prometheus_client.parser import text_string_to_metric_families

from streamops.pipeline import Pipeline
from streamops.topics import TopicNames
from streamops_examples.fraud.generator import generate
from streamops_examples.fraud.scenarios import load_scenario
from tests.support.delivery import count_records, delete_topics
from tests.support.feature_streams import START_MS, transaction_stream
from tests.support.features_service import produce_valid, start_service
from tests.support.kafka import end_offsets, free_ports
from tests.support.log_writer import Writer
from tests.support.pipelines import REPO, create_topics, private_pipeline, produce_events
from tests.support.serving import Registry
from tests.support.stage_process import committed_rate, stop

EVENTS = int(os.environ.get("BENCH_REPLICAS_EVENTS", "120000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
PARTITIONS, BATCH = 3, 5000
SERVICES = ("validation", "features", "serving")


@dataclass(frozen=True)
class Service:
    """A service under test: what it reads and writes, and how it runs."""

    name: str
    source: str
    outputs: tuple[str, ...]
    guarantee: str  # the service's own default
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    """One run: its rates, the records each replica consumed, the records it wrote."""

    rate: float  # from the group's first commit to its last
    after_join: float | None  # from the first commit with every replica assigned
    consumed: list[float]
    written: int


class Progress:
    """A run's committed progress as `committed_rate` reads it, and when the group first
    had every replica holding partitions (the broker's description, read twice a second)."""

    def __init__(self, kafka: str, group: str, replicas: int) -> None:
        self.admin = AdminClient({"bootstrap.servers": kafka})
        self.group, self.replicas = group, replicas
        self.first: tuple[float, int] | None = None
        self.joined: tuple[float, int] | None = None
        self.last = (0.0, 0)
        self._next_look = 0.0

    def __call__(self, now: float, done: int) -> None:
        self.last = (now, done)
        if self.first is None and done > 0:
            self.first = (now, done)
        if self.joined is None and now >= self._next_look:
            self._next_look = now + 0.5
            if self._all_assigned():
                self.joined = (now, done)

    def _all_assigned(self) -> bool:
        try:
            group = self.admin.describe_consumer_groups([self.group])[self.group].result(10)
        except KafkaException:
            return False
        holding = [m for m in group.members if m.assignment.topic_partitions]
        return group.state == ConsumerGroupState.STABLE and len(holding) == self.replicas

    def rate_after_join(self) -> float | None:
        """Records/s from the first reading with a commit and every replica assigned to
        the last; None if the group finished before the last replica got partitions."""
        if self.first is None or self.joined is None:
            return None
        since, done = max(self.first, self.joined)
        end, total = self.last
        return (total - done) / (end - since) if total > done and end > since else None


def _service(name: str, pipeline: Pipeline) -> Service:
    names = TopicNames(pipeline.name)
    if name == "validation":
        return Service(
            name, names.events_raw, (names.events_valid, names.events_dlq), "at_least_once"
        )
    if name == "features":
        return Service(name, names.events_valid, (names.features,), "exactly_once")
    stream = {"STREAMOPS_SERVING_MODE": "stream", "STREAMOPS_PII_SALT": "benchmark-salt"}
    return Service(name, names.features, (names.predictions,), "at_least_once", stream)


def _preload(service: Service, kafka: str, registry: str, pipeline: Pipeline) -> None:
    """``EVENTS`` records on the service's input (and for serving, its champion model)."""
    if service.name == "validation":
        scenario = load_scenario(REPO / "deploy" / "pipelines" / "scenarios" / "dirty-3pct.yaml")
        produce_events(kafka, registry, pipeline, list(generate(EVENTS, seed=3, scenario=scenario)))
    elif service.name == "features":
        produce_valid(kafka, registry, pipeline, transaction_stream(EVENTS, seed=9))
    else:
        writer = Writer(kafka, registry, pipeline)
        records = [writer.record(n, START_MS + n * 500) for n in range(EVENTS)]
        writer.produce_features(records)
        models = Registry(pipeline, kafka, registry)
        try:
            models.publish_champion(records)
        finally:
            models.close()
    landed = sum(end_offsets(kafka, service.source, PARTITIONS).values())
    assert landed == EVENTS, f"{landed:,} records on {service.source}"


def _consumed(port: int) -> float:
    """The records a replica consumed, from its /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as page:
        text = page.read().decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "streamops_stream_records_in_total"
    )


def _run(
    service: Service,
    pipeline: Pipeline,
    kafka: str,
    registry: str,
    replicas: int,
    group: str,
    log: Path,
) -> Run:
    """``replicas`` processes of the service in ``group``, until it committed every record;
    checks that they stop cleanly and wrote one record per input."""
    before = {t: end_offsets(kafka, t, PARTITIONS) for t in service.outputs}
    ports = free_ports(replicas)
    prefix = f"STREAMOPS_{service.name.upper()}_"
    procs = [
        start_service(
            service.name,
            pipeline,
            kafka,
            registry,
            log,  # shared: committed_rate names one log, whichever replica fails
            {**service.env, f"{prefix}GROUP_ID": group, f"{prefix}HEALTH_PORT": str(port)},
            guarantee=service.guarantee,
            batch=BATCH,
            instance=f"{group}-{i}",
        )
        for i, port in enumerate(ports)
    ]
    progress = Progress(kafka, group, replicas)
    try:
        timeout_s = 120 + EVENTS / 100
        rate, first = committed_rate(
            procs, kafka, group, service.source, PARTITIONS, EVENTS, timeout_s, log, progress
        )
        consumed = [_consumed(port) for port in ports]
    finally:
        codes = [stop(proc) for proc in procs]
    assert codes == [0] * replicas, f"the replicas stop cleanly, exit codes {codes}; see {log}"
    assert first < EVENTS, "one commit took every record: raise BENCH_REPLICAS_EVENTS"
    written = sum(count_records(kafka, t, PARTITIONS, before[t]) for t in service.outputs)
    # at-least-once may redo the batch a replica had in hand when its partitions moved
    slack = 0 if service.guarantee == "exactly_once" else replicas * BATCH
    assert EVENTS <= written <= EVENTS + slack, (
        f"{replicas} replica(s) wrote {written:,} records to {service.outputs} for "
        f"{EVENTS:,} inputs ({service.guarantee}); see {log}"
    )
    return Run(rate, progress.rate_after_join(), consumed, written)


@dataclass(frozen=True)
class Medians:
    """A service's median rates by replica count: from the first commit, and after the join
    (None where no run of that count had every replica assigned before the end)."""

    rate: dict[int, float]
    after_join: dict[int, float | None]


def _medians(runs: dict[int, list[Run]]) -> Medians:
    joined = {
        n: [r.after_join for r in done if r.after_join is not None] for n, done in runs.items()
    }
    return Medians(
        {n: statistics.median(r.rate for r in done) for n, done in runs.items()},
        {n: statistics.median(rates) if rates else None for n, rates in joined.items()},
    )


def _figure(value: float | None, width: int) -> str:
    return f"{value:>{width},.0f}" if value is not None else f"{'n/a':>{width}}"


def _ratio(two: float | None, one: float | None) -> str:
    return f"{two / one:>6.2f}x" if two is not None and one else f"{'n/a':>7}"


@pytest.fixture(scope="module")
def summary() -> Iterator[dict[str, Medians]]:
    """Median rates by service; printed as one table once the services have run."""
    medians: dict[str, Medians] = {}
    yield medians
    if not medians:
        return
    print(
        f"\nscale-out: {EVENTS:,} records per run, {PARTITIONS} partitions, median of {RUNS} "
        f"runs, os.cpu_count() = {os.cpu_count()} (shared with the broker and registry)\n"
        f"records/s from the group's first commit to its last; after the join: from the "
        f"first commit with every replica assigned"
    )
    header = ("service", "replicas", "records/s", "2 vs 1", "after join", "2 vs 1")
    print("{:<12} {:>8} {:>10} {:>7} {:>11} {:>7}".format(*header))
    for name, m in medians.items():
        for n in (1, 2):
            ratios = (
                (_ratio(m.rate[2], m.rate[1]), _ratio(m.after_join[2], m.after_join[1]))
                if n == 2
                else ("", "")
            )
            print(
                f"{name if n == 1 else '':<12} {n:>8} {m.rate[n]:>10,.0f} {ratios[0]:>7} "
                f"{_figure(m.after_join[n], 11)} {ratios[1]:>7}"
            )


@pytest.mark.timeout(3600)
@pytest.mark.parametrize("name", SERVICES)
def test_replicas(
    name: str,
    kafka: str,
    schema_registry: str,
    tmp_path: Path,
    summary: dict[str, Medians],
) -> None:
    pipeline = private_pipeline(tmp_path, "brep")
    create_topics(kafka, pipeline)
    service = _service(name, pipeline)
    load = [os.getloadavg()[0]]
    runs: dict[int, list[Run]] = {1: [], 2: []}
    try:
        _preload(service, kafka, schema_registry, pipeline)
        for run in range(RUNS):
            for replicas in (1, 2):
                group = f"{TopicNames(pipeline.name).stage(name)}-r{replicas}-{run}"
                log = tmp_path / f"{name}-r{replicas}-{run}.log"
                runs[replicas].append(
                    _run(service, pipeline, kafka, schema_registry, replicas, group, log)
                )
    finally:
        delete_topics(kafka, pipeline.name)  # the catalog's, and the groups' changelogs
    load.append(os.getloadavg()[0])
    summary[name] = m = _medians(runs)
    print(
        f"\nreplicas, {name} ({service.guarantee}): {EVENTS:,} records of {service.source}, "
        f"{PARTITIONS} partitions, batches of {BATCH:,}, {RUNS} runs interleaved; "
        f"{os.cpu_count()} CPUs, 1-min load {load[0]:.1f} before, {load[1]:.1f} after"
    )
    for n, done in runs.items():
        rates = " / ".join(f"{r.rate:,.0f}" for r in done)
        joined = " / ".join(_figure(r.after_join, 0) for r in done)
        split = ", ".join(" + ".join(f"{c:,.0f}" for c in r.consumed) for r in done)
        written = ", ".join(f"{r.written:,}" for r in done)
        print(
            f"  {n} replica{'s' if n > 1 else ' '}  median {m.rate[n]:>9,.0f} records/s  "
            f"runs {rates}; after the join {joined}\n"
            f"      consumed per replica {split}; written {written}"
        )
    print(
        f"  2 vs 1: {_ratio(m.rate[2], m.rate[1]).strip()}, "
        f"after the join {_ratio(m.after_join[2], m.after_join[1]).strip()}"
    )
    idle = sum(min(r.consumed) == 0 for r in runs[2])
    if idle:
        print(
            f"  NOTE: in {idle} of {RUNS} two-replica runs one replica consumed nothing (the "
            "other was done before it joined): raise BENCH_REPLICAS_EVENTS"
        )
