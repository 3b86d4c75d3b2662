"""Exceptions of the topic catalog; each message says what to change."""

from __future__ import annotations


class TopicError(Exception):
    """Base class: the topics of a pipeline could not be declared, checked or created."""


class InvalidTopicSpecError(TopicError, ValueError):
    """A pipeline name, topic name, partition count or override is not acceptable."""


class ReplicationFactorError(TopicError):
    """The declared replication factor is larger than the number of brokers in the cluster."""


class TopicAdminError(TopicError):
    """The cluster refused or did not answer an admin request (metadata, create, alter)."""
