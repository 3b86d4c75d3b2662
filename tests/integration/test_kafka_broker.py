"""The broker the suite runs against: metadata, transactions, large messages."""

from __future__ import annotations

from collections.abc import Callable

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from tests.support.kafka import delivery_recorder, read_all, unique_name


def test_broker_answers_metadata(kafka: str, new_topic: Callable[..., str]) -> None:
    topic = new_topic("meta", partitions=3)
    metadata = AdminClient({"bootstrap.servers": kafka}).list_topics(timeout=10)
    assert len(metadata.brokers) >= 1
    assert len(metadata.topics[topic].partitions) == 3


def test_transactional_producer_commits_and_aborts(
    kafka: str, new_topic: Callable[..., str]
) -> None:
    topic = new_topic("txn")
    producer = Producer(
        {"bootstrap.servers": kafka, "transactional.id": unique_name("txn-producer")}
    )
    producer.init_transactions(30)

    producer.begin_transaction()
    for i in range(10):
        producer.produce(topic, key=str(i), value=f"committed-{i}")
    producer.commit_transaction(30)

    producer.begin_transaction()
    producer.produce(topic, key="x", value="aborted")
    producer.flush(30)  # on the broker's log before the abort, not merely purged from our queue
    producer.abort_transaction(30)

    producer.begin_transaction()
    producer.produce(topic, key="last", value="committed-last")
    producer.commit_transaction(30)

    committed = read_all(kafka, topic, expected=12, isolation="read_committed", timeout_s=5)
    values = [m.value().decode() for m in committed]
    assert values == [f"committed-{i}" for i in range(10)] + ["committed-last"]
    # read_uncommitted sees the aborted record too: proof the abort really happened on the log
    everything = read_all(kafka, topic, expected=12, isolation="read_uncommitted", timeout_s=30)
    assert "aborted" in [m.value().decode() for m in everything]


def test_broker_accepts_16_mib_messages(kafka: str, new_topic: Callable[..., str]) -> None:
    topic = new_topic("large")
    payload = bytes(range(256)) * (16 * 1024 * 1024 // 256)  # 16 MiB, not compressible to nothing
    errors, on_delivery = delivery_recorder()
    producer = Producer({"bootstrap.servers": kafka, "message.max.bytes": 20 * 1024 * 1024})
    producer.produce(topic, value=payload, on_delivery=on_delivery)
    assert producer.flush(60) == 0
    assert errors == []
    [message] = read_all(
        kafka,
        topic,
        expected=1,
        extra={"fetch.max.bytes": 40 * 1024 * 1024, "receive.message.max.bytes": 41 * 1024 * 1024},
    )
    assert message.value() == payload
