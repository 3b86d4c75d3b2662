"""What can stop a dataset build, each with a message a user can act on."""

from __future__ import annotations


class DatasetError(Exception):
    """A dataset cannot be built; the message says why and what to do."""


class NotTrainable(DatasetError):
    """The pipeline spec lacks what a training set needs (a features or a labels section)."""


class NothingToRead(DatasetError):
    """A topic the dataset reads is missing or holds no records in the range asked for."""


class ClusterUnavailable(DatasetError):
    """The Kafka cluster or the schema registry did not answer."""


class OffsetsGone(DatasetError):
    """Records the dataset must read were deleted (retention) or never existed."""


class MissingDependency(DatasetError):
    """An optional package the dataset needs is not installed."""
