"""Deterministic record ids: UUIDs (version 5) of what a record is about.

The same subject gives the same id in any process, so a replay, a retry or a second
replica writes the id again instead of a new one, and consumers deduplicate on it.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Final

#: The namespace of `prediction_id`; fixed forever, or every id changes.
PREDICTION_NAMESPACE: Final = uuid.UUID("aee6484f-c04e-480c-b8f2-66b0c6cbc4f3")


def derived_id(namespace: uuid.UUID, *parts: str | int) -> str:
    """The UUID (version 5, as text) of ``parts`` joined by ``:``, in ``namespace``.

    Only the last part may contain ``:`` if the name is to stay unambiguous. The same text
    as ``str(uuid.uuid5(namespace, name))``, written out directly: stream scoring makes
    one per record, and the UUID object costs more than the hash.
    """
    name = ":".join(map(str, parts)).encode()
    return _uuid5_text(hashlib.sha1(namespace.bytes + name).digest())


def derived_ids(
    namespace: uuid.UUID, shared: Sequence[str | int], lasts: Iterable[str]
) -> list[str]:
    """``derived_id(namespace, *shared, last)`` for each of ``lasts``, the shared parts
    hashed once (a batch of stream scoring shares all but the event id)."""
    copy = _prefix(namespace, tuple(shared)).copy
    ids = []
    for last in lasts:
        h = copy()
        h.update(last.encode())
        ids.append(_uuid5_text(h.digest()))
    return ids


@functools.lru_cache(maxsize=1024)
def _prefix(namespace: uuid.UUID, shared: tuple[str | int, ...]) -> Any:
    """The hash of the namespace and the shared parts, to copy (never updated itself): a
    request of one row would otherwise hash them again."""
    return hashlib.sha1(namespace.bytes + "".join(f"{p}:" for p in shared).encode())


def prediction_id(
    pipeline: str, event_id: str, model_name: str, model_version: int, role: str
) -> str:
    """The id of a Prediction: the answer of one model version, in one role (a ServingRole
    symbol, e.g. CHAMPION), for one event."""
    # The event id goes last: it is the one free-form part (pipeline and model names
    # cannot hold a ':'), so two subjects never join to the same name.
    return derived_id(PREDICTION_NAMESPACE, pipeline, model_name, model_version, role, event_id)


def prediction_ids(
    pipeline: str, event_ids: Iterable[str], model_name: str, model_version: int, role: str
) -> list[str]:
    """`prediction_id` of each of ``event_ids``, for one model version in one role."""
    shared = (pipeline, model_name, model_version, role)
    return derived_ids(PREDICTION_NAMESPACE, shared, event_ids)


def _uuid5_text(digest: bytes) -> str:
    """A version 5 UUID's text from the SHA-1 digest of its namespace and name."""
    uuid_bytes = bytearray(digest[:16])
    uuid_bytes[6] = (uuid_bytes[6] & 0x0F) | 0x50  # version 5
    uuid_bytes[8] = (uuid_bytes[8] & 0x3F) | 0x80  # the RFC 4122 variant
    h = uuid_bytes.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
