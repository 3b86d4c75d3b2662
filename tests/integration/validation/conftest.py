"""The validation service as a process, stopped at teardown."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from streamops.pipeline import Pipeline
from tests.support.kafka import free_port
from tests.support.pipelines import REPO, STREAMOPS

Start = Callable[..., tuple[subprocess.Popen[bytes], int, Path]]


@pytest.fixture
def validation_service(kafka: str, schema_registry: str, tmp_path: Path) -> Iterator[Start]:
    """``start(pipeline, instance="test")``: `streamops run validation` as replica
    ``instance``; every replica started is stopped (SIGTERM) at teardown."""
    started: list[subprocess.Popen[bytes]] = []

    def start(
        pipeline: Pipeline, instance: str = "test"
    ) -> tuple[subprocess.Popen[bytes], int, Path]:
        port = free_port()
        env: dict[str, Any] = {
            **os.environ,
            "STREAMOPS_KAFKA_BOOTSTRAP_SERVERS": kafka,
            "STREAMOPS_SCHEMA_REGISTRY_URL": schema_registry,
            "STREAMOPS_VALIDATION_HEALTH_PORT": str(port),
            "STREAMOPS_STREAM_INSTANCE_ID": instance,
            "STREAMOPS_STREAM_SESSION_TIMEOUT_S": "10",
            "STREAMOPS_STREAM_BATCH_MAX_WAIT_S": "0.2",
        }
        log = tmp_path / f"validation-{instance}-{len(started)}.log"
        with open(log, "ab") as out:
            process = subprocess.Popen(
                [str(STREAMOPS), "run", "validation", "--pipeline", str(pipeline.file)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=REPO,
            )
        started.append(process)
        return process, port, log

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
