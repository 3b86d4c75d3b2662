"""The topic catalog of a pipeline, and creating / checking those topics on a cluster.

`pipeline_topics` declares the twelve topics of a pipeline (the why of every number is in
`streamops.topics.catalog`); `ensure_topics` creates the missing ones and reports drift.
"""

from streamops.topics._admin import partition_count
from streamops.topics.catalog import (
    DEFAULT_EVENT_PARTITIONS,
    TOPIC_SUFFIXES,
    TopicNames,
    changelog_topic,
    check_pipeline_name,
    partials_topic,
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
    "PARTITIONS",
    "REPLICATION_FACTOR",
    "TOPIC_SUFFIXES",
    "Drift",
    "EnsureReport",
    "InvalidTopicSpecError",
    "ReplicationFactorError",
    "TopicAdminError",
    "TopicError",
    "TopicNames",
    "TopicSpec",
    "changelog_topic",
    "check_pipeline_name",
    "ensure_topics",
    "partials_topic",
    "partition_count",
    "pipeline_topics",
]
