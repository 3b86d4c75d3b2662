"""A detached process known by its pid file and by a marker in its command line."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from streamops_localstack.errors import LocalStackError


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts TCP connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _ps(*selector: str) -> list[tuple[int, str, list[str]]]:
    """(pid, state, argv) of the selected processes.

    ``ps`` rather than /proc so that the launcher also works on macOS; ``-ww`` so long
    JVM command lines are not cut (ps otherwise truncates to the terminal width).
    """
    out = subprocess.run(
        ["ps", "-ww", "-o", "pid=", "-o", "stat=", "-o", "args=", *selector],
        capture_output=True,
        text=True,
    ).stdout
    rows = []
    for line in out.splitlines():
        pid, state, *argv = line.split()
        rows.append((int(pid), state, argv))
    return rows


class ManagedProcess:
    """One JVM of the local stack.

    The pid file says which process it is; the marker (an argument unique to this stack,
    e.g. the path of its config file) must be on that process's command line, so a pid
    reused by an unrelated process after a crash or reboot is never signalled.
    """

    def __init__(self, name: str, pid_file: Path, marker: str, log_file: Path) -> None:
        self.name = name
        self.pid_file = pid_file
        self.marker = marker
        self.log_file = log_file
        self._child: subprocess.Popen[bytes] | None = None

    def _ours(self, state: str, argv: list[str]) -> bool:
        return not state.startswith("Z") and self.marker in argv

    def _alive(self, pid: int) -> bool:
        if self._child is not None and self._child.pid == pid:
            return self._child.poll() is None  # also reaps our own child once it exits
        return any(self._ours(state, argv) for _, state, argv in _ps("-p", str(pid)))

    def pid(self) -> int | None:
        """The pid of the running process, or None.

        A stale pid file is removed; a running process whose pid file was lost is found
        by its marker and its pid file written again, so it is never orphaned.
        """
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            pid = None
        if pid is not None and self._alive(pid):
            return pid
        found = [p for p, state, argv in _ps("-e") if self._ours(state, argv)]
        if found:
            self.pid_file.parent.mkdir(parents=True, exist_ok=True)
            self.pid_file.write_text(f"{found[0]}\n")
            return found[0]
        self.pid_file.unlink(missing_ok=True)
        return None

    def start(self, argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> int:
        """Start the process detached from our session (it outlives `make up`); return its pid."""
        running = self.pid()
        if running is not None:
            return running
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            try:
                self._child = subprocess.Popen(
                    list(argv),
                    cwd=cwd,
                    env={**os.environ, **env},
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as exc:
                raise LocalStackError(f"cannot start {self.name}: {exc}") from exc
        self.pid_file.write_text(f"{self._child.pid}\n")
        return self._child.pid

    def stop(self, timeout_s: float = 60.0) -> bool:
        """SIGTERM, then SIGKILL after ``timeout_s``; False if it was not running."""
        pid = self.pid()
        if pid is None:
            return False
        self._signal(pid, signal.SIGTERM)
        if not self.wait_exit(pid, timeout_s):
            self._signal(pid, signal.SIGKILL)
            self.wait_exit(pid, 10.0)
        self.pid_file.unlink(missing_ok=True)
        return True

    def kill(self) -> None:
        """SIGKILL, as a crash would; the pid file is left behind, stale, on purpose."""
        pid = self.pid()
        if pid is not None:
            self._signal(pid, signal.SIGKILL)
            self.wait_exit(pid, 10.0)

    def wait_exit(self, pid: int, timeout_s: float) -> bool:
        """Wait until ``pid`` has exited; False on time-out."""
        deadline = time.monotonic() + timeout_s
        while self._alive(pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def wait_until(self, ready: Callable[[], bool], timeout_s: float, where: str) -> None:
        """Block until ``ready()``; fail at once, with the log's tail, if the process exits."""
        deadline = time.monotonic() + timeout_s
        while not ready():
            if self.pid() is None:
                raise LocalStackError(
                    f"{self.name} exited during start-up; see {self.log_file}:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise LocalStackError(
                    f"{self.name} did not answer on {where} within {timeout_s:.0f} s; "
                    f"see {self.log_file.parent}"
                )
            time.sleep(0.2)

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the process's console log, to explain a failed start."""
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log written)"

    @staticmethod
    def _signal(pid: int, sig: signal.Signals) -> None:
        """Signal ``pid``; SIGKILL goes to its whole process group when it leads one (it
        was started in a session of its own), so that a supervisor killed takes its
        service with it instead of leaving it orphaned."""
        with contextlib.suppress(ProcessLookupError):
            if sig == signal.SIGKILL and os.getpgid(pid) == pid:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
