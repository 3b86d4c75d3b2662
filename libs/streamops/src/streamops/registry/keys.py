"""Record keys of the registry topics, and the deterministic ids of deployment events.

``{p}.models`` holds two kinds of records, told apart by their key: ``{model}:{version}``
for a ModelVersion and ``{model}:{version}:chunk:{index:05d}`` for a ModelChunk. Both
begin with the version's key, so compaction keeps one record per version and per chunk.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from streamops.contracts.ids import derived_id

# A fixed namespace: the same (pipeline, model, version, action, sequence) gives the same
# id in any process, so a retried or replayed write is recognised as a duplicate.
DEPLOYMENT_NAMESPACE = uuid.UUID("8f0c6a52-3a5e-4d8c-9a53-4f7b9f1d2c10")
_CHUNK = ":chunk:"
_VERSION_KEY = re.compile(r"(?P<model>.+):(?P<version>[0-9]+)")


@dataclass(frozen=True)
class ModelsKey:
    """A parsed key of the models topic: a version's record, or one chunk of its artifact."""

    model_name: str
    version: int
    chunk: int | None = None


def version_key(model_name: str, version: int) -> str:
    """The key of a ModelVersion record: ``{model}:{version}``."""
    return f"{model_name}:{version}"


def chunk_key(model_name: str, version: int, index: int) -> str:
    """The key of a ModelChunk record: ``{model}:{version}:chunk:{index:05d}``."""
    return f"{version_key(model_name, version)}{_CHUNK}{index:05d}"


def parse_models_key(key: bytes | str | None) -> ModelsKey | None:
    """The version (and chunk) a key of the models topic names; None for a foreign key."""
    if key is None:
        return None
    text = key.decode("utf-8", "replace") if isinstance(key, bytes) else key
    head, found, index = text.rpartition(_CHUNK)
    if found and not index.isdigit():
        return None
    match = _VERSION_KEY.fullmatch(head if found else text)
    if match is None:
        return None
    chunk = int(index) if found else None
    return ModelsKey(match["model"], int(match["version"]), chunk)


def deployment_id(pipeline: str, model_name: str, version: int, action: str, sequence: int) -> str:
    """The id of a deployment event: a UUID of what it is about.

    ``sequence`` is how many events of the model precede it, so the same decision taken
    on the same history has the same id, and the same action taken again later does not.
    """
    return derived_id(DEPLOYMENT_NAMESPACE, pipeline, model_name, version, action, sequence)
