"""Emptying a pipeline before the demo plays it again: its topics and consumer groups."""

from __future__ import annotations

import time

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

from streamops.pipeline import Pipeline
from streamops.settings import KafkaSettings
from streamops.topics import TopicError, ensure_topics, pipeline_topics
from streamops_localstack.errors import LocalStackError

_TIMEOUT_S = 60.0


def reset_pipeline(kafka: KafkaSettings, pipeline: Pipeline) -> None:
    """Delete every topic named ``{p}.…`` (the catalog's, the stages' changelogs) and every
    consumer group ``{p}.…``, then create the catalog's topics again. The services must be
    stopped: a group with members cannot be deleted."""
    admin = AdminClient(kafka.client_config())
    prefix = f"{pipeline.name}."
    deadline = time.monotonic() + _TIMEOUT_S
    _delete_groups(admin, prefix, deadline)
    topics = [t for t in admin.list_topics(timeout=30).topics if t.startswith(prefix)]
    for future in (admin.delete_topics(topics, operation_timeout=30) if topics else {}).values():
        try:
            future.result()
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                raise
    while True:  # a deleted topic lingers a moment; creating it again fails until it is gone
        left = set(topics) & set(admin.list_topics(timeout=30).topics)
        if not left:
            try:
                if ensure_topics(admin, pipeline_topics(pipeline.name)).ok:
                    return
            except TopicError:
                pass  # gone from the metadata, not yet from every broker: again
        if time.monotonic() > deadline:
            raise LocalStackError(
                f"the topics of {pipeline.name} could not be created again: {sorted(left)}"
            )
        time.sleep(0.5)


def _delete_groups(admin: AdminClient, prefix: str, deadline: float) -> None:
    """Delete the groups named ``prefix…``; a group whose members just stopped stays
    non-empty until the broker notices (their session timeout): tried until ``deadline``."""
    while True:
        groups = [
            g.group_id
            for g in admin.list_consumer_groups(request_timeout=30).result().valid
            if g.group_id.startswith(prefix)
        ]
        if not groups:
            return
        busy = []
        for group, future in admin.delete_consumer_groups(groups, request_timeout=30).items():
            try:
                future.result()
            except KafkaException as exc:
                code = exc.args[0].code()
                if code == KafkaError.NON_EMPTY_GROUP:
                    busy.append(group)
                elif code != KafkaError.GROUP_ID_NOT_FOUND:
                    raise
        if not busy:
            return
        if time.monotonic() > deadline:
            raise LocalStackError(f"consumer groups still have members: {sorted(busy)}")
        time.sleep(1.0)
