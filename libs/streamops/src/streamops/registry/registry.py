"""`ModelRegistry`: a pipeline's model registry, rebuilt from ``{p}.models`` and
``{p}.deployments`` alone, in any process, and kept current by following them.

Versions carry their metadata only: an artifact's bytes are read from the topic when
`load_artifact` asks for them (its chunks' offsets are remembered while reading), put
together and checked against the version's SHA-256 on every load. Serving calls
`refresh` at start-up, then `poll` in its loop and loads what a new champion needs.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, cast

from confluent_kafka import Message
from confluent_kafka.schema_registry import SchemaRegistryClient

from streamops.contracts import load_schema
from streamops.contracts.types import Deployment, ModelVersion
from streamops.registry.artifacts import ArtifactIndex
from streamops.registry.errors import (
    ClusterUnavailableError,
    RegistryError,
    UnknownModelError,
    UnknownVersionError,
)
from streamops.registry.follow import LogFollower
from streamops.registry.keys import parse_models_key
from streamops.registry.state import ModelState, RegistryState
from streamops.serde import AvroDecoder, DecodeError, RegistryUnavailable
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.topics import TopicNames

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    """One record applied by `ModelRegistry.poll`: a published version or a deployment."""

    kind: Literal["version", "deployment"]
    model_name: str
    version: int
    record: ModelVersion | Deployment


class ModelRegistry:
    """The versions, roles and deployment history of every model of one pipeline."""

    def __init__(
        self,
        pipeline: str,
        kafka: KafkaSettings,
        registry: SchemaRegistrySettings,
        *,
        timeout_s: float = 30.0,
    ) -> None:
        self.topics = TopicNames(pipeline)
        self.state = RegistryState()
        self.skipped = 0  #: records that could not be read (not Avro, unknown schema ...)
        self._kafka = kafka
        self._timeout_s = timeout_s
        client = SchemaRegistryClient(registry.client_config())
        self._versions = AvroDecoder(client, load_schema("ModelVersion"))
        self._deployments = AvroDecoder(client, load_schema("Deployment"))
        self._artifacts = ArtifactIndex(self.topics.models, kafka, client, timeout_s=timeout_s)
        self._follower = LogFollower(
            kafka, [self.topics.models, self.topics.deployments], timeout_s=timeout_s
        )
        self._changes: list[Change] = []

    def refresh(self) -> RegistryState:
        """Read both topics up to their current end; the state then."""
        self._follower.catch_up(self._apply)
        self._changes.clear()
        return self.state

    def poll(self, timeout_s: float = 1.0) -> list[Change]:
        """Apply what arrived since the last call (waiting up to ``timeout_s``); the changes."""
        self._follower.poll(self._apply, timeout_s)
        changes, self._changes = self._changes, []
        return changes

    @property
    def model_names(self) -> list[str]:
        """Every model with a published version, sorted."""
        return sorted(name for name, model in self.state.models.items() if model.versions)

    def model(self, name: str | None = None) -> ModelState:
        """Model ``name``'s state; with None, the pipeline's only model."""
        names = self.model_names
        if name is None:
            if len(names) != 1:
                found = ", ".join(names) or "none published yet"
                raise UnknownModelError(
                    f"{self.topics.models} holds {len(names)} models ({found}); name one"
                )
            name = names[0]
        if name not in names:
            found = ", ".join(names) or "none"
            raise UnknownModelError(f"no model {name!r} on {self.topics.models} (models: {found})")
        return self.state.models[name]

    def version(self, model_name: str, version: int) -> ModelVersion:
        """The metadata of one version (its ``onnx_model`` is never kept in memory)."""
        model = self.model(model_name)
        if version not in model.versions:
            known = ", ".join(map(str, sorted(model.versions)))
            raise UnknownVersionError(f"{model_name} has no version {version} (published: {known})")
        return model.versions[version]

    def load_artifact(self, model_name: str, version: int) -> bytes:
        """The version's ONNX bytes, read from the topic and checked against its SHA-256
        (`ArtifactIntegrityError`, `ArtifactIncompleteError` when they cannot be trusted)."""
        return self._artifacts.load(self.version(model_name, version))

    def wait_for_version(self, model_name: str, version: int, timeout_s: float) -> ModelState:
        """The model's state once ``version`` is readable. A publisher's commit returns just
        before the transaction's markers reach the partition, and a ``read_committed``
        reader sees nothing of the version until they do. RegistryError after ``timeout_s``.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            self.refresh()
            state = self.state.models.get(model_name)
            if state is not None and version in state.versions:
                return state
            if time.monotonic() > deadline:
                raise RegistryError(
                    f"{model_name} v{version} is not readable on {self.topics.models} after "
                    f"{timeout_s:g} s"
                )
            time.sleep(0.05)

    def close(self) -> None:
        """Leave the cluster."""
        self._follower.close()

    def __enter__(self) -> ModelRegistry:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _apply(self, message: Message) -> None:
        if message.topic() == self.topics.models:
            self._apply_models_record(message)
            return
        deployment = cast(Deployment | None, self._decode(self._deployments, message))
        if deployment is not None and self.state.apply_deployment(deployment):
            self._changes.append(
                Change("deployment", deployment["model_name"], deployment["version"], deployment)
            )

    def _apply_models_record(self, message: Message) -> None:
        key = parse_models_key(message.key())
        if key is None:
            self.skipped += 1
            return
        position = (int(message.partition() or 0), int(message.offset() or 0))
        if message.value() is None:  # a tombstone: deleted on purpose
            self._artifacts.forget(key)
            if key.chunk is None:
                self.state.model(key.model_name).versions.pop(key.version, None)
            return
        if key.chunk is not None:
            self._artifacts.saw_chunk(key, position)
            return
        record = cast(ModelVersion | None, self._decode(self._versions, message))
        if record is not None:
            self._artifacts.saw_version(key, position)
            self.state.apply_version(record)
            self._changes.append(Change("version", key.model_name, key.version, record))

    def _decode(self, decoder: AvroDecoder, message: Message) -> dict[str, Any] | None:
        try:
            return decoder.decode(message.value())
        except DecodeError as exc:
            self.skipped += 1
            log.warning(
                "skipped %s[%s] offset %s: %s",
                message.topic(),
                message.partition(),
                message.offset(),
                exc,
            )
            return None
        except RegistryUnavailable as exc:
            raise ClusterUnavailableError(str(exc)) from exc
