"""What flows through a stage: decoded input records, output records, rejections."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

ErrorKind = Literal["DECODE", "VALIDATION", "TRANSFORM", "ENCODE", "UNKNOWN"]
Headers = list[tuple[str, str | bytes | None]]


@dataclass(slots=True, frozen=True)
class Reason:
    """One reason a record was rejected (one failed rule, or one error)."""

    rule: str
    message: str
    field: str | None = None
    value: str | None = None


@dataclass(slots=True)
class InRecord:
    """A consumed record: where it came from, its original bytes, and its decoded value."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None
    key: bytes | None
    raw: bytes | None
    value: dict[str, Any]


@dataclass(slots=True)
class OutRecord:
    """A record to produce; ``value`` is encoded with the output topic's Avro schema: a
    mapping of its fields, or a tuple of their values in the schema's order (no dict to
    build per record, for stages that make many).

    Keys are plain bytes or UTF-8 text (entity ids), not Avro, so that partitioning and
    compaction work on the id itself and any client can read them.
    """

    topic: str
    value: Mapping[str, Any] | tuple[Any, ...]
    key: bytes | str | None = None
    headers: Headers | None = None
    #: The input it was made from: if the value does not fit the topic's schema, that
    #: input is dead-lettered (with its original bytes) instead.
    source: InRecord | None = None


@dataclass(slots=True)
class Rejection:
    """An input record that goes to the dead-letter topic, with every reason."""

    record: InRecord
    kind: ErrorKind
    reasons: Sequence[Reason]


@dataclass(slots=True)
class BatchResult:
    """What a transform made of one micro-batch."""

    outputs: list[OutRecord] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


#: A stage's logic: one micro-batch of decoded records in, outputs and rejections out.
#: Vectorised work (e.g. validating a whole batch with numpy) happens inside it.
Transform = Callable[[Sequence[InRecord]], BatchResult]
