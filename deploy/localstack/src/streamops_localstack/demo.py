"""What `make demo` shows at the end: where the events went and which alerts were raised."""

from __future__ import annotations

from typing import Any, cast

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer

from streamops.topics import TopicNames
from streamops_localstack.stack import LocalStack


def _count(admin: AdminClient, consumer: Consumer, topic: str) -> int:
    metadata = admin.list_topics(topic, timeout=10).topics.get(topic)
    if metadata is None or metadata.error is not None:
        return 0
    total = 0
    for partition in metadata.partitions:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
        total += high - low
    return total


#: Features shown from the newest features record (when the spec computes them).
_SHOWN = ("count_1h", "mean_amount_1h", "distinct_merchant_id_1d", "seconds_since_previous")


def _newest_features(consumer: Consumer, decode: AvroDeserializer, topic: str) -> list[str]:
    """One line: the newest record of partition 0 of the features topic, a few values."""
    low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    if high <= low:
        return []
    consumer.assign([TopicPartition(topic, 0, high - 1)])
    messages = consumer.consume(1, 10)
    consumer.unassign()
    if not messages or messages[0].error() is not None:
        return []
    record = cast(dict[str, Any], decode(messages[0].value(), None))
    shown = ", ".join(f"{name} {_number(record[name])}" for name in _SHOWN if name in record)
    return [f"newest features: {record['entity_key']}: {shown}"]


def _number(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def demo_summary(stack: LocalStack, pipeline: str) -> str:
    """Record counts of the pipeline's event topics and every alert, one line each."""
    bootstrap = stack.kafka.bootstrap_servers
    admin = AdminClient({"bootstrap.servers": bootstrap})
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "streamops-demo-summary",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    names = TopicNames(pipeline)
    lines = [
        f"{topic:<24} {_count(admin, consumer, topic):>9,} records"
        for topic in (
            names.events_raw,
            names.events_valid,
            names.events_dlq,
            names.features,
            names.labels,
            names.labels_valid,
        )
    ]
    registry = SchemaRegistryClient({"url": stack.registry.url, "timeout": 10})
    # the topic strategy: Apicurio has no "associations" endpoint (see README)
    decode = AvroDeserializer(registry, conf={"subject.name.strategy.type": "TOPIC"})
    lines += _newest_features(consumer, decode, names.features)
    alerts = names.alerts
    expected = _count(admin, consumer, alerts)
    consumer.subscribe([alerts])
    seen = 0
    while seen < expected:
        messages = consumer.consume(500, 5)
        if not messages:
            break
        for m in messages:
            if m.error() is None:
                seen += 1
                a = decode(m.value(), None)
                lines.append(
                    f"alert {a['state']:<8} {a['subject']:<24} {a['statistic']} "
                    f"{a['value']:.4g} (threshold {a['threshold']:.4g})"
                )
    consumer.close()
    if expected == 0:
        lines.append("no alerts")
    return "\n".join(lines)
