"""A service's topic set-up: the pipeline's topics from the catalog, created if missing."""

from __future__ import annotations

import logging

from confluent_kafka.admin import AdminClient

from streamops.settings import ClientConfig, KafkaSettings
from streamops.topics import DEFAULT_EVENT_PARTITIONS, EnsureReport, ensure_topics, pipeline_topics

log = logging.getLogger(__name__)


def ensure_pipeline_topics(
    kafka: KafkaSettings,
    pipeline: str,
    *,
    partitions: int = DEFAULT_EVENT_PARTITIONS,
    replication_factor: int | None = None,
    timeout_s: float = 10.0,
) -> EnsureReport:
    """Create the missing topics of ``pipeline`` as the catalog declares them; existing ones
    are only compared, and any drift is logged as a WARNING (left as is).

    Raises `streamops.topics.TopicAdminError` while the cluster does not answer (retry it,
    see `retry_while_unavailable`), other `streamops.topics.TopicError`s for what retrying
    cannot fix (e.g. a replication factor larger than the cluster).
    """
    # log_level 4: librdkafka's info notices (queue purged on close) are noise at start-up
    config: ClientConfig = {**kafka.client_config(), "log_level": 4}
    specs = pipeline_topics(pipeline, partitions=partitions, replication_factor=replication_factor)
    report = ensure_topics(AdminClient(config), specs, timeout_s=timeout_s)
    if report.created:
        log.info("created topics %s", ", ".join(report.created))
    if report.drifted:
        log.warning(
            "topics of pipeline %s differ from the catalog (left as they are):\n  %s",
            pipeline,
            "\n  ".join(d.describe() for d in report.drifted),
        )
    return report
