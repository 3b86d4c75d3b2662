"""The local launcher's pieces that need no broker: pid files, Java versions, poms, cluster ids."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from streamops_localstack.errors import LocalStackError
from streamops_localstack.fetch import fetch_once, pom_property
from streamops_localstack.java import java_major_version, require_java
from streamops_localstack.kafka import KAFKA_DEPLOY, new_cluster_id
from streamops_localstack.process import ManagedProcess


def _sleeper(tmp_path: Path, marker: str) -> ManagedProcess:
    return ManagedProcess("sleeper", tmp_path / "s.pid", marker, tmp_path / "s.log")


def test_start_and_stop_a_managed_process(tmp_path: Path) -> None:
    marker = f"--marker={tmp_path}"
    process = _sleeper(tmp_path, marker)
    pid = process.start([sys.executable, "-c", "import time; time.sleep(60)", marker], {}, tmp_path)
    assert process.pid() == pid
    assert process.start(["never", "run"], {}, tmp_path) == pid  # already running: no second one
    assert process.stop(timeout_s=10)
    assert process.pid() is None
    assert not process.pid_file.exists()
    assert not process.stop()


def test_pid_file_of_a_dead_process_is_stale(tmp_path: Path) -> None:
    process = _sleeper(tmp_path, "marker")
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    process.pid_file.write_text(done.stdout)
    assert process.pid() is None
    assert not process.pid_file.exists()


def test_pid_file_naming_someone_elses_process_is_never_signalled(tmp_path: Path) -> None:
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        process = _sleeper(tmp_path, f"--marker={tmp_path}")  # not on the stranger's command line
        process.pid_file.write_text(f"{stranger.pid}\n")
        assert process.pid() is None
        assert not process.stop()
        assert stranger.poll() is None, "an unrelated process must survive"
    finally:
        stranger.kill()
        stranger.wait()


def test_kill_leaves_a_stale_pid_file_that_the_next_look_clears(tmp_path: Path) -> None:
    marker = f"--marker={tmp_path}"
    process = _sleeper(tmp_path, marker)
    process.start([sys.executable, "-c", "import time; time.sleep(60)", marker], {}, tmp_path)
    process.kill()
    assert process.pid_file.exists()
    assert process.pid() is None
    assert not process.pid_file.exists()


@pytest.mark.parametrize(
    ("printed", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('java version "1.8.0_402"', 8),
        ('openjdk version "25" 2025-09-16', 25),
    ],
)
def test_java_major_version(tmp_path: Path, printed: str, major: int) -> None:
    fake = tmp_path / "java"
    fake.write_text(f"#!/bin/sh\necho '{printed}' >&2\n")
    fake.chmod(0o755)
    assert java_major_version(fake) == major


def test_too_old_java_is_refused_with_the_versions_named(tmp_path: Path) -> None:
    fake = tmp_path / "java"
    fake.write_text("#!/bin/sh\necho 'openjdk version \"11.0.2\"' >&2\n")
    fake.chmod(0o755)
    with pytest.raises(LocalStackError, match=r"needs Java 21\+, but .* is Java 11"):
        require_java(fake, 21, "Apicurio Registry 3")


def test_kafka_version_comes_from_the_pom() -> None:
    assert re.fullmatch(r"4\.\d+\.\d+", pom_property(KAFKA_DEPLOY / "pom.xml", "kafka.version"))


def test_cluster_ids_look_like_kafkas() -> None:
    ids = {new_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{21}", cid) for cid in ids)


def test_an_interrupted_fetch_is_not_taken_for_a_complete_one(tmp_path: Path) -> None:
    target = tmp_path / "jars"

    def broken(staging: Path) -> None:
        (staging / "half.jar").write_text("x")
        raise LocalStackError("network gone")

    with pytest.raises(LocalStackError):
        fetch_once(target, broken)
    assert not target.exists()
    fetch_once(target, lambda staging: (staging / "whole.jar").write_text("x"))
    assert sorted(p.name for p in target.iterdir()) == [".complete", "whole.jar"]
    fetch_once(target, broken)  # complete already: not fetched again


def test_a_running_process_whose_pid_file_was_lost_is_found_again(tmp_path: Path) -> None:
    marker = f"--marker={tmp_path}"
    started = _sleeper(tmp_path, marker)
    pid = started.start([sys.executable, "-c", "import time; time.sleep(60)", marker], {}, tmp_path)
    try:
        started.pid_file.unlink()
        # a fresh handle, as a later `make down` in another shell would have
        assert _sleeper(tmp_path, marker).pid() == pid
        assert started.pid_file.read_text().strip() == str(pid)
    finally:
        started.stop(timeout_s=10)
    assert started.pid() is None


def test_waiting_for_a_process_that_dies_fails_at_once_with_its_log(tmp_path: Path) -> None:
    marker = f"--marker={tmp_path}"
    process = _sleeper(tmp_path, marker)
    process.start(
        [sys.executable, "-c", "import sys; print('port already bound'); sys.exit(3)", marker],
        {},
        tmp_path,
    )
    with pytest.raises(LocalStackError, match=r"(?s)exited during start-up.*port already bound"):
        process.wait_until(lambda: False, timeout_s=30, where="nowhere")


def test_waiting_in_vain_times_out_naming_the_address(tmp_path: Path) -> None:
    marker = f"--marker={tmp_path}"
    process = _sleeper(tmp_path, marker)
    process.start([sys.executable, "-c", "import time; time.sleep(60)", marker], {}, tmp_path)
    try:
        with pytest.raises(LocalStackError, match="did not answer on localhost:1 within 1 s"):
            process.wait_until(lambda: False, timeout_s=1, where="localhost:1")
    finally:
        process.stop(timeout_s=10)
