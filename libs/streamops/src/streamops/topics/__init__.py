"""The topic catalog of a pipeline, and creating / checking those topics on a cluster.

`pipeline_topics` declares the nine topics of a pipeline (the why of every number is in
`streamops.topics.catalog`); `ensure_topics` creates the missing ones and reports drift.
"""

from streamops.topics.catalog import (
    DEFAULT_EVENT_PARTITIONS,
    MODEL_MAX_MESSAGE_BYTES,
    TOPIC_SUFFIXES,
    check_pipeline_name,
    pipeline_topics,
)
from streamops.topics.ensure import ensure_topics
from streamops.topics.errors import (
    InvalidTopicSpecError,
    ReplicationFactorError,
    TopicAdminError,
    TopicError,
)
from streamops.topics.report import PARTITIONS, REPLICATION_FACTOR, Drift, EnsureReport
from streamops.topics.spec import TopicSpec

__all__ = [
    "DEFAULT_EVENT_PARTITIONS",
    "MODEL_MAX_MESSAGE_BYTES",
    "PARTITIONS",
    "REPLICATION_FACTOR",
    "TOPIC_SUFFIXES",
    "Drift",
    "EnsureReport",
    "InvalidTopicSpecError",
    "ReplicationFactorError",
    "TopicAdminError",
    "TopicError",
    "TopicSpec",
    "check_pipeline_name",
    "ensure_topics",
    "pipeline_topics",
]
