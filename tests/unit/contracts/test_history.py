"""The previous version of a schema comes from git HEAD, when there is one."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from streamops.contracts.history import head_version


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q")
    (tmp_path / "schemas").mkdir()
    return tmp_path


def test_committed_file_gives_its_head_content_not_the_working_copy(repo: Path) -> None:
    path = repo / "schemas" / "A.avsc"
    path.write_text('{"v": 1}')
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "v1")
    path.write_text('{"v": 2}')
    assert head_version(path).text == '{"v": 1}'


def test_new_file_has_no_previous_version(repo: Path) -> None:
    path = repo / "schemas" / "A.avsc"
    path.write_text("{}")
    head = head_version(path)
    assert (head.text, head.reason) == (None, "new file, not in git HEAD")


def test_outside_a_checkout_there_is_no_previous_version(tmp_path: Path) -> None:
    path = tmp_path / "A.avsc"
    path.write_text("{}")
    assert head_version(path).reason == "not in a git checkout"


def test_without_git_there_is_no_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert head_version(tmp_path / "A.avsc").reason == "git is not installed"
