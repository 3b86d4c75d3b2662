"""`TopicSpec`: one topic as declared, independent of any cluster."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from streamops.topics.errors import InvalidTopicSpecError

#: Kafka refuses longer topic names (it appends suffixes to name files on disk).
MAX_TOPIC_NAME_LENGTH = 249
_LEGAL_TOPIC_NAME = re.compile(r"[a-zA-Z0-9._-]+")


def check_topic_name(name: str) -> None:
    """Raise `InvalidTopicSpecError` unless Kafka accepts ``name`` as a topic name."""
    if name in ("", ".", ".."):
        raise InvalidTopicSpecError(f"topic name {name!r} is reserved or empty")
    if len(name) > MAX_TOPIC_NAME_LENGTH:
        raise InvalidTopicSpecError(
            f"topic name {name[:40]!r}... is {len(name)} characters long; "
            f"Kafka allows at most {MAX_TOPIC_NAME_LENGTH}"
        )
    if not _LEGAL_TOPIC_NAME.fullmatch(name):
        bad = sorted({c for c in name if not _LEGAL_TOPIC_NAME.fullmatch(c)})
        raise InvalidTopicSpecError(
            f"topic name {name!r} contains {''.join(bad)!r}; "
            "Kafka allows only ASCII letters, digits, '.', '_' and '-'"
        )


@dataclass(frozen=True)
class TopicSpec:
    """A topic as declared: name, partition count, replication factor and topic configs.

    ``replication_factor=None`` leaves the choice to the broker's
    ``default.replication.factor``. ``config`` holds only the keys we insist on; every
    other topic config keeps the broker default and is never compared.
    """

    name: str
    partitions: int
    replication_factor: int | None = None
    config: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_topic_name(self.name)
        if self.partitions < 1:
            raise InvalidTopicSpecError(
                f"{self.name}: partitions must be at least 1, got {self.partitions}"
            )
        if self.replication_factor is not None and self.replication_factor < 1:
            raise InvalidTopicSpecError(
                f"{self.name}: replication factor must be at least 1 "
                f"(or None for the broker default), got {self.replication_factor}"
            )
        for key, value in self.config.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise InvalidTopicSpecError(
                    f"{self.name}: topic configs are strings, got {key!r}={value!r}"
                )
        # A read-only copy, so a caller mutating its dict cannot change a frozen spec.
        object.__setattr__(self, "config", MappingProxyType(dict(self.config)))

    def __hash__(self) -> int:
        return hash(
            (self.name, self.partitions, self.replication_factor, frozenset(self.config.items()))
        )
