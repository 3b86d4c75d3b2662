"""The local stack's supervisor (`streamops_localstack.supervise`) on stand-in commands: a
service that stops itself is started again, one that cannot start is not, one that fails
its liveness probe is killed and started again, and a stop ends both."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from streamops_localstack.liveness import LIVENESS_S, STARTUP_S, Liveness
from streamops_localstack.process import ManagedProcess
from streamops_localstack.supervise import Supervisor, main

# Each run appends its pid to a file, then exits with the code the file's line count
# picks from the codes given (the last one again after that), sleeps when that is "s",
# or kills itself when it is "k".
RUN = """
import os, sys, time
runs, codes = sys.argv[1], sys.argv[2].split(",")
with open(runs, "a") as f:
    f.write(f"{os.getpid()}\\n")
n = len(open(runs).read().split())
code = codes[min(n, len(codes)) - 1]
if code == "s":
    time.sleep(120)
if code == "k":
    os.kill(os.getpid(), 9)
sys.exit(int(code))
"""


def _runs(file: Path) -> list[int]:
    return [int(p) for p in file.read_text().split()] if file.exists() else []


def _command(runs: Path, codes: str) -> list[str]:
    return [sys.executable, "-c", RUN, str(runs), codes]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie of ours is reaped by the supervisor's wait; one of another parent lingers
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[1].startswith("Z"))


def test_a_command_that_stops_itself_is_started_again_until_it_cannot_start(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    runs = tmp_path / "runs"
    supervisor = Supervisor(_command(runs, "1,k,2"), health_port=None, poll_s=0.05)
    started = time.monotonic()

    assert supervisor.run() == 2  # exit 1, SIGKILL, then 2: not started a fourth time
    assert len(_runs(runs)) == 3
    assert supervisor.restarts == 2
    # the second restart waited twice the first's 1 s: neither run was steady
    assert 3.0 <= time.monotonic() - started < 20
    said = capfd.readouterr().out
    assert "exited with 1 after 0 s; starting it again in 1 s (restart 1)" in said
    assert "died of SIGKILL after 0 s; starting it again in 2 s (restart 2)" in said
    assert "exited with 2: not started again" in said


def test_exit_0_ends_the_supervisor_without_a_restart(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    assert Supervisor(_command(runs, "0"), health_port=None, poll_s=0.05).run() == 0
    assert len(_runs(runs)) == 1


def test_a_run_that_fails_its_liveness_probe_is_killed_and_started_again(
    tmp_path: Path,
) -> None:
    runs = tmp_path / "runs"
    answers = iter([200, 200, 503])  # healthy, then stuck; the second run stays healthy
    supervisor = Supervisor(
        _command(runs, "s"),
        health_port=1,
        poll_s=0.05,
        probe=lambda _port: next(answers, 200),
    )
    outcome: list[int] = []
    thread = threading.Thread(target=lambda: outcome.append(supervisor.run()))
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while len(_runs(runs)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        first, second = _runs(runs)
        assert not _alive(first), "the stuck run was killed"
        assert _alive(second)
        assert supervisor.restarts == 1
    finally:
        supervisor.stop()
        thread.join(40)
    assert outcome == [0]
    assert not _alive(second), "a stop ends the command too"


def test_liveness_gives_a_start_its_grace_then_wants_answers() -> None:
    probe = Liveness(started=0.0)
    assert not probe.failed(None, STARTUP_S - 1)  # still starting
    assert probe.failed(None, STARTUP_S + 1)  # never answered
    probe = Liveness(started=0.0)
    assert not probe.failed(200, 10.0)
    assert not probe.failed(None, 10.0 + LIVENESS_S - 1)
    assert probe.failed(None, 10.0 + LIVENESS_S + 1)  # went quiet
    assert Liveness(started=0.0).failed(503, 1.0)  # says it is stuck


def test_the_command_line_needs_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--health-port", "8001", "--"])
    assert exited.value.code == 2
    assert "no command to supervise" in capsys.readouterr().err


def test_killing_a_supervisor_takes_its_command_with_it(tmp_path: Path) -> None:
    """`ManagedProcess.kill` (and `stop`'s last resort) SIGKILLs the process group."""
    runs, marker = tmp_path / "runs", f"--tag={tmp_path}"
    process = ManagedProcess("supervised", tmp_path / "s.pid", marker, tmp_path / "s.log")
    command = [sys.executable, "-m", "streamops_localstack.supervise", marker, "--"]
    pid = process.start([*command, *_command(runs, "s")], {}, tmp_path)
    deadline = time.monotonic() + 30
    while not _runs(runs) and time.monotonic() < deadline:
        time.sleep(0.05)
    [child] = _runs(runs)

    process.kill()

    assert not _alive(pid)
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the supervised command must not outlive its supervisor"
