"""What the model registry refuses or cannot do, each with a message a user can act on."""

from __future__ import annotations


class RegistryError(Exception):
    """The model registry refused an action or could not be read; the message says why."""


class UnknownModelError(RegistryError):
    """No version of the model (or no model at all) is on the pipeline's models topic."""


class UnknownVersionError(RegistryError):
    """The version asked for was never published to the models topic."""


class ActionRefusedError(RegistryError):
    """A deployment action does not fit the model's current state (e.g. rollback with no
    earlier champion, retiring the champion)."""


class ArtifactIntegrityError(RegistryError):
    """A version's ONNX bytes do not match its SHA-256 (or size): the version is refused."""


class ArtifactIncompleteError(RegistryError):
    """Chunks of a version's ONNX artifact are missing from the models topic."""


class RecordTooLargeError(RegistryError):
    """A registry record would exceed the broker's message limit."""


class TopicMissingError(RegistryError):
    """A registry topic does not exist on the cluster."""


class ClusterUnavailableError(RegistryError):
    """The Kafka cluster or the schema registry did not answer."""
