"""Evidently, the drift benchmark's peer, in its own venv and its own process.

Evidently 0.7.23 does not import with pandas 3 (the project's), so it gets a venv of its
own, ``.cache/bench/evidently``: Evidently, pandas 2, and numpy and scipy at the project's
versions (the same numerical libraries on both sides). uv creates it once; a stamp of the
requirements makes a change of pins rebuild it. ``python -m
tests.benchmarks.monitoring.evidently_peer`` builds it by hand and prints its python.

`EvidentlyProcess` runs `evidently_worker` in that venv and asks it for one timed pass
over the windows at a time, so the benchmark can interleave the two contenders.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

REPO = Path(__file__).resolve().parents[3]
VENV = REPO / ".cache" / "bench" / "evidently"
UV = REPO / ".cache" / "tools" / "bin" / "uv"
EVIDENTLY = "0.7.23"
PANDAS = "2.3.3"  # the newest pandas 2; Evidently 0.7 needs pandas < 3
SAME_AS_PROJECT = ("numpy", "scipy")
WORKER = Path(__file__).with_name("evidently_worker.py")


def requirements() -> list[str]:
    """Evidently, pandas 2, and `SAME_AS_PROJECT` at the project's versions."""
    pins = [f"evidently=={EVIDENTLY}", f"pandas=={PANDAS}"]
    return pins + [f"{p}=={importlib.metadata.version(p)}" for p in SAME_AS_PROJECT]


def ensure_venv() -> Path:
    """The Evidently venv's ``python``, the venv created or updated first if needed."""
    wanted = "\n".join(requirements())
    stamp = VENV / ".requirements"
    python = VENV / "bin" / "python"
    if stamp.exists() and stamp.read_text() == wanted and python.exists():
        return python
    if not UV.exists():
        raise FileNotFoundError(f"{UV} is missing: run `make setup` first")
    shutil.rmtree(VENV, ignore_errors=True)
    base = str(getattr(sys, "_base_executable", sys.executable))
    subprocess.run([UV, "venv", "--quiet", "--python", base, VENV], check=True)
    subprocess.run(
        [UV, "pip", "install", "--quiet", "--python", python, *requirements()], check=True
    )
    stamp.write_text(wanted)
    return python


class EvidentlyProcess:
    """`evidently_worker` on the windows in ``data`` (an .npz of `windows.save`)."""

    def __init__(self, python: Path, data: Path) -> None:
        self._process = subprocess.Popen(
            [str(python), str(WORKER), str(data)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            # one thread as ours; and no usage telemetry (only its UI sends any)
            env={**os.environ, "OMP_NUM_THREADS": "1", "DO_NOT_TRACK": "1"},
        )
        self.windows = int(self._answer()["windows"])

    def run_pass(self) -> dict[str, Any]:
        """One timed pass: ``seconds`` and ``verdicts``, one of each per window."""
        assert self._process.stdin is not None
        self._process.stdin.write("pass\n")
        self._process.stdin.flush()
        return self._answer()

    def _answer(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the Evidently worker stopped (exit {self._process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def __enter__(self) -> EvidentlyProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


if __name__ == "__main__":
    print(ensure_venv())
