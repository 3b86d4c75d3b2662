"""What the ingestion integration tests share: the private pipeline, the salt, message keys,
and the service as a real process."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from confluent_kafka import Message

from streamops.topics import TopicNames

REPO = Path(__file__).resolve().parents[3]
STREAMOPS = Path(sys.executable).parent / "streamops"
SALT = "integration-test-salt"


@dataclass(frozen=True)
class PrivatePipeline:
    """A fraud pipeline under a unique name."""

    name: str
    spec: Path

    @property
    def raw_topic(self) -> str:
        return TopicNames(self.name).events_raw


def key_of(message: Message) -> str:
    """The message key as text (ingestion always sets one: the entity key)."""
    key = message.key()
    assert isinstance(key, bytes), key
    return key.decode()


def start_service(spec: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`streamops run ingestion` with ``env``, its output going to ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(STREAMOPS), "run", "ingestion", "--pipeline", str(spec)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Until /readyz answers 200; fails if the process exits or 90 s pass."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the service exited:\n{log.read_text()}"
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"not ready within 90 s:\n{log.read_text()}")
