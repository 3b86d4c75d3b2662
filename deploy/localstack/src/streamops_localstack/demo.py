"""What `make demo` shows at the end: where the events went and which alerts were raised."""

from __future__ import annotations

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
        for topic in (names.events_raw, names.events_valid, names.events_dlq, names.labels)
    ]
    registry = SchemaRegistryClient({"url": stack.registry.url, "timeout": 10})
    # the topic strategy: Apicurio has no "associations" endpoint (see README)
    decode = AvroDeserializer(registry, conf={"subject.name.strategy.type": "TOPIC"})
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
