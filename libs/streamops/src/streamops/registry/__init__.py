"""The model registry in Kafka: ``{p}.models``, ``{p}.deployments``, ``{p}.runs`` and
``{p}.lineage`` are the registry; nothing else is.

- `RegistryPublisher` writes: a version (its ONNX artifact in chunks, then its
  ModelVersion record, in one transaction), deployment events, runs, lineage events.
- `ModelRegistry` reads: it rebuilds every model's versions, champion, challenger,
  canary and deployment history from the topics alone, follows them (`poll`), and loads
  a version's artifact with its SHA-256 checked.
- `decide` checks an action (promote, rollback, retire, shadow, canary) against a
  model's state and builds its Deployment record, with a deterministic id.
- `streamops.registry.lineage` builds OpenLineage RunEvents; `read_runs` lists runs.
"""

from streamops.registry.actions import ACTIONS, Action, decide
from streamops.registry.chunks import DEFAULT_CHUNK_BYTES
from streamops.registry.errors import (
    ActionRefusedError,
    ArtifactIncompleteError,
    ArtifactIntegrityError,
    ClusterUnavailableError,
    RecordTooLargeError,
    RegistryError,
    TopicMissingError,
    UnknownModelError,
    UnknownVersionError,
)
from streamops.registry.publish import RegistryPublisher
from streamops.registry.registry import Change, ModelRegistry
from streamops.registry.runs import read_runs
from streamops.registry.state import ModelState, RegistryState

__all__ = [
    "ACTIONS",
    "DEFAULT_CHUNK_BYTES",
    "Action",
    "ActionRefusedError",
    "ArtifactIncompleteError",
    "ArtifactIntegrityError",
    "Change",
    "ClusterUnavailableError",
    "ModelRegistry",
    "ModelState",
    "RecordTooLargeError",
    "RegistryError",
    "RegistryPublisher",
    "RegistryState",
    "TopicMissingError",
    "UnknownModelError",
    "UnknownVersionError",
    "decide",
    "read_runs",
]
