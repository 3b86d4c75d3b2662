"""What the ingestion integration tests share: the private pipeline, the salt, message keys."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import Message

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
        return f"{self.name}.events.raw"


def key_of(message: Message) -> str:
    """The message key as text (ingestion always sets one: the entity key)."""
    key = message.key()
    assert isinstance(key, bytes), key
    return key.decode()
