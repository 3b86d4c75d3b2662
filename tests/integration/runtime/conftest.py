"""Stage processes started by a test never outlive it, whether it passes or fails."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.stage_process import start_stage


@pytest.fixture
def launch_stage() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """``start_stage`` whose processes are killed at teardown if still running."""
    started: list[subprocess.Popen[bytes]] = []

    def launch(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        process = start_stage(*args, **kwargs)
        started.append(process)
        return process

    yield launch
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()
