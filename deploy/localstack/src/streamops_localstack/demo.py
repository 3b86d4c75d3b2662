"""What `make demo` shows at the end: where the events went and which alerts were raised."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, cast

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer

from streamops.topics import TopicNames
from streamops_localstack.stack import LocalStack


def _values(bootstrap: str, topic: str) -> Iterator[bytes]:
    """The value of every committed record of ``topic``, partition after partition.

    Records, not offsets: a transactional producer's commit markers take offsets too (the
    features service writes exactly-once).
    """
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "streamops-demo-summary",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "isolation.level": "read_committed",
        }
    )
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if metadata is None or metadata.error is not None:
            return
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in metadata.partitions])
        left = set(metadata.partitions)
        quiet_since = time.monotonic()
        while left and time.monotonic() - quiet_since < 10:  # 10 s of nothing: that's all
            # a short timeout: consume() waits it out unless it fills the whole batch
            messages = consumer.consume(10_000, 0.2)
            if messages:
                quiet_since = time.monotonic()
            for m in messages:
                error = m.error()
                if error is None:
                    yield m.value() or b""
                elif error.code() == KafkaError._PARTITION_EOF:
                    left.discard(m.partition())
    finally:
        consumer.close()


#: Features shown from a features record (when the spec computes them).
_SHOWN = ("count_1h", "mean_amount_1h", "distinct_merchant_id_1d", "seconds_since_previous")


def _features_line(decode: AvroDeserializer, value: bytes) -> str:
    """A few values of one features record."""
    record = cast(dict[str, Any], decode(value, None))
    shown = ", ".join(f"{name} {_number(record[name])}" for name in _SHOWN if name in record)
    return f"features of {record['entity_key']}, e.g.: {shown}"


def _number(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def demo_summary(stack: LocalStack, pipeline: str) -> str:
    """Record counts of the pipeline's topics, a features record, and every alert."""
    bootstrap = stack.kafka.bootstrap_servers
    registry = SchemaRegistryClient({"url": stack.registry.url, "timeout": 10})
    # the topic strategy: Apicurio has no "associations" endpoint (see README)
    decode = AvroDeserializer(registry, conf={"subject.name.strategy.type": "TOPIC"})
    names = TopicNames(pipeline)
    lines, example = [], None
    for topic in (
        names.events_raw,
        names.events_valid,
        names.events_dlq,
        names.features,
        names.labels,
        names.labels_valid,
    ):
        count = 0
        for value in _values(bootstrap, topic):
            count += 1
            if topic == names.features:
                example = value
        lines.append(f"{topic:<24} {count:>9,} records")
    if example is not None:
        lines.append(_features_line(decode, example))
    alerts = [decode(value, None) for value in _values(bootstrap, names.alerts)]
    for a in alerts:
        lines.append(
            f"alert {a['state']:<8} {a['subject']:<24} {a['statistic']} "
            f"{a['value']:.4g} (threshold {a['threshold']:.4g})"
        )
    if not alerts:
        lines.append("no alerts")
    return "\n".join(lines)
