"""Deterministic record ids: UUIDs (version 5) of what a record is about.

The same subject gives the same id in any process, so a replay, a retry or a second
replica writes the id again instead of a new one, and consumers deduplicate on it.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Final

#: The namespace of `prediction_id`; fixed forever, or every id changes.
PREDICTION_NAMESPACE: Final = uuid.UUID("aee6484f-c04e-480c-b8f2-66b0c6cbc4f3")


def derived_id(namespace: uuid.UUID, *parts: str | int) -> str:
    """The UUID (version 5, as text) of ``parts`` joined by ``:``, in ``namespace``.

    Only the last part may contain ``:`` if the name is to stay unambiguous. The same text
    as ``str(uuid.uuid5(namespace, name))``, written out directly: stream scoring makes
    one per record, and the UUID object costs more than the hash.
    """
    name = ":".join(map(str, parts)).encode()
    digest = bytearray(hashlib.sha1(namespace.bytes + name).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def prediction_id(
    pipeline: str, event_id: str, model_name: str, model_version: int, role: str
) -> str:
    """The id of a Prediction: the answer of one model version, in one role (a ServingRole
    symbol, e.g. CHAMPION), for one event."""
    # The event id goes last: it is the one free-form part (pipeline and model names
    # cannot hold a ':'), so two subjects never join to the same name.
    return derived_id(PREDICTION_NAMESPACE, pipeline, model_name, model_version, role, event_id)
