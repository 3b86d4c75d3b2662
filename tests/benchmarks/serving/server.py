"""A server under test: a command started pinned to the server core, ready when its
readiness URL answers 200, scored at its inference URL, stopped with SIGTERM.

Every contender (the MLServer peers, and streamops serving when it is wired in) is one of
these; the harness needs nothing else from it: `name`, `start()`, `url`, `pid` (whose
process tree's CPU time is read), `stop()`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

#: The server's core; the load generator has the other (`oha.LOAD_CORE`).
SERVER_CORE = 0


class ServerFailed(RuntimeError):
    """A server that exited or did not become ready; its log says why."""


def free_port() -> int:
    """A TCP port nothing listens on now (the OS's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class ServerUnderTest:
    """One contender: ``command`` run under ``taskset -c SERVER_CORE`` in ``cwd``."""

    name: str
    command: list[str]
    url: str  # where the V2 inference request is POSTed
    ready_url: str  # answers 200 once the model is loaded
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)  # on top of os.environ
    ready_timeout_s: float = 120.0
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def log(self) -> Path:
        """Where the server's stdout and stderr go."""
        return self.cwd / f"{self.name}.log"

    @property
    def pid(self) -> int:
        """The running server's process id (ServerFailed if it is not running)."""
        if self._process is None or self._process.poll() is not None:
            raise ServerFailed(f"{self.name} is not running; see {self.log}")
        return self._process.pid

    def start(self) -> None:
        """Start the server and wait until it is ready (ServerFailed otherwise)."""
        self.cwd.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self._process = subprocess.Popen(
                ["taskset", "-c", str(SERVER_CORE), *self.command],
                cwd=self.cwd,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: stop() ends its children too
            )
        deadline = time.monotonic() + self.ready_timeout_s
        while not _answers_200(self.ready_url):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise ServerFailed(f"{self.name} did not become ready; see {self.log}")
            time.sleep(0.2)

    def stop(self) -> None:
        """SIGTERM to the server's process group, SIGKILL after 20 s."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def post(self, body: bytes, headers: dict[str, str]) -> bytes:
        """One request to `url`, as the load generator sends it; the response body."""
        request = urllib.request.Request(self.url, body, headers, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            data: bytes = response.read()
            return data


def _answers_200(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False
