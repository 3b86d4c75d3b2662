"""Running the pass-through stage as a child process, and watching its committed progress."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from confluent_kafka import Consumer, TopicPartition

REPO = Path(__file__).resolve().parents[2]


def start_stage(
    log_file: Path,
    *,
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
) -> subprocess.Popen[bytes]:
    """Start ``tests.support.passthrough_stage`` with its output appended to ``log_file``."""
    with open(log_file, "ab") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.passthrough_stage",
                "--input",
                input_topic,
                "--output",
                output_topic,
                "--dlq",
                dlq_topic,
                "--group",
                group,
                "--guarantee",
                guarantee,
                "--batch",
                str(batch),
                "--throttle-ms",
                str(throttle_ms),
                "--health-port",
                str(health_port),
                "--bootstrap-servers",
                bootstrap_servers,
                "--registry-url",
                registry_url,
            ],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def committed_total(bootstrap_servers: str, group: str, topic: str, partitions: int) -> int:
    """Sum of the group's committed offsets on ``topic`` (records fully processed)."""
    consumer = Consumer({"bootstrap.servers": bootstrap_servers, "group.id": group})
    try:
        tps = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
    finally:
        consumer.close()
    return sum(max(tp.offset, 0) for tp in tps)


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str, log_file: Path) -> None:
    """Poll ``condition`` until true; on time-out fail with the stage's log attached."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-40:])
            raise AssertionError(f"timed out waiting for {what}; stage log:\n{tail}")
        time.sleep(0.1)
