"""Running the pass-through stage as a child process, and watching its committed progress."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.support.confluent import avro_serializer, registry_client
from tests.support.kafka import delivery_recorder, produce_waiting
from tests.support.records import PAYMENT_SCHEMA, payment

REPO = Path(__file__).resolve().parents[2]


def start_stage(
    log_file: Path,
    *,
    module: str = "tests.support.passthrough_stage",
    bootstrap_servers: str,
    registry_url: str,
    input_topic: str,
    output_topic: str,
    dlq_topic: str,
    group: str,
    guarantee: str = "at_least_once",
    batch: int = 5000,
    throttle_ms: float = 0.0,
    health_port: int = 0,
    instance: str = "0",
    **extra: object,
) -> subprocess.Popen[bytes]:
    """Start the stage in ``module`` with its output appended to ``log_file``.

    ``extra`` are further flags of that module (``progress="FILE"`` gives ``--progress FILE``).
    """
    with open(log_file, "ab") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                module,
                *_flags(
                    input=input_topic,
                    output=output_topic,
                    dlq=dlq_topic,
                    group=group,
                    guarantee=guarantee,
                    batch=batch,
                    throttle_ms=throttle_ms,
                    health_port=health_port,
                    instance=instance,
                    bootstrap_servers=bootstrap_servers,
                    registry_url=registry_url,
                    **extra,
                ),
            ],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _flags(**values: object) -> list[str]:
    """``--name value`` pairs, in the spelling argparse expects (dashes, not underscores)."""
    return [
        part
        for name, value in values.items()
        for part in (f"--{name.replace('_', '-')}", str(value))
    ]


def committed_total(bootstrap_servers: str, group: str, topic: str, partitions: int) -> int:
    """Sum of the group's committed offsets on ``topic`` (records fully processed)."""
    return sum(committed_offsets(bootstrap_servers, group, topic, partitions).values())


def committed_offsets(
    bootstrap_servers: str, group: str, topic: str, partitions: int
) -> dict[int, int]:
    """The group's committed offset of each partition of ``topic`` (0 where none), read
    once; to watch a group's progress, `Committed` reads it again and again with one client."""
    with Committed(bootstrap_servers, group, [(topic, p) for p in range(partitions)]) as read:
        return {p: offset for (_, p), offset in read().items()}


class Committed:
    """Reads a group's committed offsets of ``partitions`` ((topic, partition) pairs) with
    one client for as long as it is open: a benchmark polls progress every 50 ms, and a
    client opened per reading (connections, coordinator look-up, group metadata) cost the
    broker about a fifth of a core here and took ~200 ms a reading, on the cores and in
    the timings it measures."""

    def __init__(
        self, bootstrap_servers: str, group: str, partitions: Sequence[tuple[str, int]]
    ) -> None:
        # read_uncommitted: a read_committed consumer asks for *stable* offsets, which the
        # broker withholds while a transaction holding offsets is open, e.g. one of a stage
        # just SIGKILLed (until its successor fences it, or the transaction times out).
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap_servers,
                "group.id": group,
                "isolation.level": "read_uncommitted",
            }
        )
        self._partitions = [TopicPartition(t, p) for t, p in partitions]

    def __call__(self) -> dict[tuple[str, int], int]:
        """Each partition's committed offset now (0 where none)."""
        tps = self._consumer.committed(self._partitions, timeout=10)
        return {(str(tp.topic), tp.partition): max(tp.offset, 0) for tp in tps}

    def total(self) -> int:
        """The committed offsets' sum: the records fully processed."""
        return sum(self().values())

    def close(self) -> None:
        self._consumer.close()

    def __enter__(self) -> Committed:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str, log_file: Path) -> None:
    """Poll ``condition`` until true; on time-out fail with the stage's log attached."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-40:])
            raise AssertionError(f"timed out waiting for {what}; stage log:\n{tail}")
        time.sleep(0.1)


def committed_rate(
    proc: subprocess.Popen[bytes] | Sequence[subprocess.Popen[bytes]],
    bootstrap_servers: str,
    group: str,
    topic: str,
    partitions: int,
    total: int,
    timeout_s: float,
    log_file: Path,
    on_poll: Callable[[float, int], None] | None = None,
) -> tuple[float, int]:
    """Records/s between the group's first commit on ``topic`` and the one reaching
    ``total``, and how many records that first commit held (all of them: no rate);
    `rate_until` with the group's committed records as the progress."""
    with Committed(bootstrap_servers, group, [(topic, p) for p in range(partitions)]) as read:
        return rate_until(proc, read.total, total, timeout_s, log_file, on_poll)


def rate_until(
    proc: subprocess.Popen[bytes] | Sequence[subprocess.Popen[bytes]],
    progress: Callable[[], int],
    total: int,
    timeout_s: float,
    log_file: Path,
    on_poll: Callable[[float, int], None] | None = None,
) -> tuple[float, int]:
    """Records/s between the first reading of ``progress`` above 0 and the one reaching
    ``total``, and what that first reading held (all of it: no rate).

    ``proc`` is the process doing the work, or its replicas. Fails, naming ``log_file``,
    if one of them exits or ``timeout_s`` passes first. ``on_poll`` gets each reading:
    the monotonic time and the progress then.
    """
    replicas = [proc] if isinstance(proc, subprocess.Popen) else list(proc)
    first: tuple[float, int] | None = None
    deadline = time.monotonic() + timeout_s
    while True:
        for replica in replicas:
            if replica.poll() is not None:
                raise AssertionError(
                    f"{replica.args!r:.120} exited {replica.returncode}; see {log_file}"
                )
        if time.monotonic() > deadline:
            raise AssertionError(f"not done in {timeout_s:.0f} s; see {log_file}")
        done = progress()
        now = time.monotonic()
        if on_poll is not None:
            on_poll(now, done)
        if first is None and done > 0:
            first = (now, done)
        if done >= total:
            break
        time.sleep(0.05)
    assert first is not None
    elapsed = now - first[0]
    return ((total - first[1]) / elapsed if elapsed > 0 else float("inf")), first[1]


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 60) -> int:
    """SIGTERM ``proc`` and reap it (SIGKILL if it has not stopped within ``timeout_s``);
    its exit code."""
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def kill_after(
    stage: subprocess.Popen[bytes],
    committed: Callable[[], int],
    threshold: int,
    log_file: Path,
    timeout_s: float = 180,
    just_before: Callable[[], None] | None = None,
) -> None:
    """Wait until ``threshold`` input records are committed, check the stage is still
    alive (it did not die by itself), call ``just_before`` (e.g. wait for a batch to
    begin), then SIGKILL the stage and reap it."""
    wait_for(
        lambda: committed() >= threshold or stage.poll() is not None,
        timeout_s,
        f"{threshold} committed records",
        log_file,
    )
    assert stage.poll() is None, f"stage died by itself:\n{log_file.read_text()[-3000:]}"
    if just_before is not None:
        just_before()
    stage.kill()
    stage.wait()


def produce_payments(bootstrap_servers: str, registry_url: str, topic: str, ids: range) -> None:
    """Produce ``payment(i)`` for each i, keyed by customer, and check every delivery.

    Written with Confluent's own serializer: a stage must read what any client writes.
    """
    serializer = avro_serializer(registry_client(registry_url), json.dumps(PAYMENT_SCHEMA))
    context = SerializationContext(topic, MessageField.VALUE)
    errors, on_delivery = delivery_recorder()
    producer = Producer({"bootstrap.servers": bootstrap_servers, "linger.ms": 20})
    for i in ids:
        record = payment(i)
        value = serializer(record, context)
        produce_waiting(producer, topic, value, record["customer_id"], on_delivery)
    assert producer.flush(60) == 0
    assert errors == []


@dataclass
class PassThrough:
    """A stage's topics and group; ``start`` launches a replica of it (``start_stage``)."""

    kafka: str
    registry: str
    source: str
    output: str
    dlq: str
    group: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, log_file: Path, **options: Any) -> subprocess.Popen[bytes]:
        process = start_stage(
            log_file,
            bootstrap_servers=self.kafka,
            registry_url=self.registry,
            input_topic=self.source,
            output_topic=self.output,
            dlq_topic=self.dlq,
            group=self.group,
            **options,
        )
        self.processes.append(process)
        return process
