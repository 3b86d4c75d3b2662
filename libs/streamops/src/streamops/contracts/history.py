"""The previous version of a schema file: what git has for it at HEAD."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HeadVersion:
    """The file's content at HEAD, or why there is none to compare with."""

    text: str | None
    reason: str = ""


def _git(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(directory), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def head_version(path: Path) -> HeadVersion:
    """The content of ``path`` at HEAD of the git checkout it lives in.

    None (with the reason) when git is missing, ``path`` is not in a git checkout, or the
    file is new; a schema without history has nothing to stay compatible with.
    """
    directory = path.resolve().parent
    try:
        inside = _git(directory, "rev-parse", "--is-inside-work-tree")
    except FileNotFoundError:
        return HeadVersion(None, "git is not installed")
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return HeadVersion(None, "not in a git checkout")
    # "HEAD:./name" is relative to the -C directory, wherever the checkout root is.
    spec = f"HEAD:./{path.name}"
    if _git(directory, "cat-file", "-e", spec).returncode != 0:
        return HeadVersion(None, "new file, not in git HEAD")
    shown = _git(directory, "show", spec)
    if shown.returncode != 0:
        return HeadVersion(None, f"git show {spec} failed: {shown.stderr.strip()}")
    return HeadVersion(shown.stdout)
