"""Keeps one service of `make up` running, as an orchestrator does (deploy/k8s:
restartPolicy Always and probes on /healthz; compose: restart unless-stopped):
`python -m streamops_localstack.supervise [--name N] --health-port PORT -- COMMAND...`.

The services are crash-only: a stage that cannot end a transaction, or whose consumer a
broker restart left unusable, stops (exit 1) or says so on /healthz (503) rather than lose
or repeat a batch, and counts on being started again. The supervisor starts the command
again when it exits with 1 or dies of a signal, and kills (-9) and starts again a run that
fails its liveness probe (`liveness.Liveness`), after 1 s, then twice as long after each
run shorter than `STEADY_S`, up to `MAX_BACKOFF_S`. Exit 2 (the service cannot start: a
bad setting or spec, named in its log) and exit 0 (stopped by a signal) end the
supervisor with the same code. SIGTERM or SIGINT stops the command (SIGTERM, SIGKILL after
`TERM_GRACE_S`) and then the supervisor. The command shares the supervisor's output (the
service's log) and process group.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from streamops_localstack.liveness import Liveness, health_status

#: the exit code of `streamops run` for a service that cannot start (a bad setting or spec)
EXIT_CANNOT_START = 2
#: between two probes of /healthz
POLL_S = 5.0
#: the longest wait before a start again
MAX_BACKOFF_S = 30.0
#: a run at least this long starts the back-off again from 1 s
STEADY_S = 60.0
#: how long a stopping command has between SIGTERM and SIGKILL (`ServiceNode.stop` allows
#: the supervisor 30 s)
TERM_GRACE_S = 25.0


class Supervisor:
    """Runs ``command`` until stopped, starting it again as the module says."""

    def __init__(
        self,
        command: Sequence[str],
        health_port: int | None,
        *,
        name: str | None = None,
        poll_s: float = POLL_S,
        probe: Callable[[int], int | None] = health_status,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.command = list(command)
        self.name = name or Path(self.command[0]).name
        self.health_port = health_port
        self.poll_s = poll_s
        self.probe = probe
        self.clock = clock
        self.stopping = threading.Event()
        self.restarts = 0

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> int:
        """Supervise until stopped, or until the command exits with 0 or 2; return the code."""
        backoff = 0.5
        while True:
            child = subprocess.Popen(self.command)
            started = self.clock()
            why = self._watch(child, Liveness(started))
            if why is None:  # asked to stop
                return 0
            if child.returncode in (0, EXIT_CANNOT_START):
                say(f"{self.name} {why}: not started again")
                return child.returncode
            ran = self.clock() - started
            backoff = 1.0 if ran >= STEADY_S else min(backoff * 2, MAX_BACKOFF_S)
            self.restarts += 1
            say(
                f"{self.name} {why} after {ran:.0f} s; starting it again in "
                f"{backoff:.0f} s (restart {self.restarts})"
            )
            if self.stopping.wait(backoff):
                return 0

    def _watch(self, child: subprocess.Popen[bytes], liveness: Liveness) -> str | None:
        """Wait until ``child`` exits (why), fails its liveness probe (killed; why), or the
        supervisor is asked to stop (the child stopped; None)."""
        while True:
            code = child.poll()
            if code is not None:
                return f"exited with {code}" if code >= 0 else f"died of {_signal_name(-code)}"
            if self.stopping.is_set():
                _terminate(child)
                return None
            if self.health_port is not None:
                status = self.probe(self.health_port)
                if liveness.failed(status, self.clock()):
                    child.kill()
                    child.wait()
                    answer = "no answer" if status is None else f"HTTP {status}"
                    return f"failed its liveness probe (/healthz: {answer}), killed"
            self.stopping.wait(self.poll_s)


def _terminate(child: subprocess.Popen[bytes]) -> None:
    child.terminate()
    try:
        child.wait(TERM_GRACE_S)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def say(message: str) -> None:
    """One line in the service's log, marked as the supervisor's."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    print(f"{stamp} supervisor: {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streamops_localstack.supervise")
    parser.add_argument("--name", help="what the log calls the command (its file name)")
    parser.add_argument("--health-port", type=int, help="the command's /healthz port")
    parser.add_argument("--tag", help="free text by which the launcher finds this process")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARG...]")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command to supervise: -- COMMAND [ARG...]")
    supervisor = Supervisor(command, args.health_port, name=args.name)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: supervisor.stop())
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
