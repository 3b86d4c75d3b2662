"""Fetching the broker and registry jars from Maven Central with Maven, once per version."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from streamops_localstack.errors import LocalStackError


def pom_property(pom: Path, name: str) -> str:
    """A <properties> value of a pom: the pom is the one place a version is written."""
    match = re.search(rf"<{re.escape(name)}>([^<]+)</{re.escape(name)}>", pom.read_text())
    if match is None:
        raise LocalStackError(f"{pom} has no <{name}> property")
    return match.group(1).strip()


def run_maven(pom: Path, goal: str, properties: dict[str, str], what: str) -> None:
    """Run one Maven goal quietly; on failure show Maven's own output."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LocalStackError("Maven (mvn) not found: install it (e.g. `apt-get install maven`)")
    print(f"Fetching {what} from Maven Central (first run only) ...", file=sys.stderr, flush=True)
    argv = [mvn, "-B", "-q", "-f", str(pom), goal] + [f"-D{k}={v}" for k, v in properties.items()]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise LocalStackError(f"fetching {what} failed:\n{done.stdout}{done.stderr}")


def fetch_once(target: Path, fetch: Callable[[Path], None]) -> Path:
    """Fill ``target`` with ``fetch(staging_dir)`` unless an earlier complete fetch is there.

    The staging directory is renamed into place only when the fetch succeeded, so an
    interrupted download is never mistaken for a complete one.
    """
    if (target / ".complete").is_file():
        return target
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    fetch(staging)
    (staging / ".complete").touch()
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target
