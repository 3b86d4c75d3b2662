"""Small helpers the integration tests share: unique topics, free ports, reading a topic back."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from streamops.topics import TOPIC_SUFFIXES
from streamops.topics.leaders import watermarks


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports(count: int) -> list[int]:
    """``count`` ports nobody listens on, bound all at once so that none comes twice."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def unique_name(prefix: str) -> str:
    """A topic (or group) name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def create_topic(bootstrap_servers: str, name: str, partitions: int = 1) -> str:
    """Create a topic and wait until the broker has it."""
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    futures = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    futures[name].result(timeout=30)
    return name


def read_all(
    bootstrap_servers: str,
    topic: str,
    expected: int,
    *,
    isolation: str = "read_committed",
    timeout_s: float = 60.0,
    idle_s: float = 0.0,
    extra: dict[str, str | int] | None = None,
) -> list[Message]:
    """Read a topic from the beginning until ``expected`` messages arrived or the time is up.

    With ``idle_s`` it goes on reading after ``expected`` until nothing came for that long,
    so that a test also sees records beyond the expected count (duplicates).
    """
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": unique_name("reader"),
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "isolation.level": isolation,
            **(extra or {}),
        }
    )
    consumer.subscribe([topic])
    messages: list[Message] = []
    deadline = time.monotonic() + timeout_s
    last_seen = time.monotonic()
    try:
        while time.monotonic() < deadline:
            if len(messages) >= expected and time.monotonic() - last_seen >= idle_s:
                break
            for msg in consumer.consume(num_messages=1000, timeout=0.5):
                if msg.error() is None:
                    messages.append(msg)
                    last_seen = time.monotonic()
                elif msg.error().code() != KafkaError._PARTITION_EOF:
                    raise RuntimeError(msg.error())
    finally:
        consumer.close()
    return messages


def end_offsets(bootstrap_servers: str, topic: str, partitions: int = 3) -> dict[int, int]:
    """The end (high watermark) of each partition of ``topic``."""
    probe = Consumer({"bootstrap.servers": bootstrap_servers, "group.id": unique_name("probe")})
    try:
        return {p: watermarks(probe, topic, p, timeout_s=10)[1] for p in range(partitions)}
    finally:
        probe.close()


def produce_waiting(
    producer: Producer,
    topic: str,
    value: bytes,
    key: str | None,
    on_delivery: Callable[[KafkaError | None, Message], None] | None = None,
) -> None:
    """``producer.produce``, waiting for deliveries when its queue is full (a test that
    writes 100,000s of records outruns the broker on a busy machine)."""
    while True:
        try:
            producer.produce(topic, value, key, on_delivery=on_delivery)
            return
        except BufferError:
            producer.poll(0.1)


def delivery_recorder() -> tuple[list[str], Callable[[KafkaError | None, Message], None]]:
    """A produce callback that records delivery errors, and the list it fills."""
    errors: list[str] = []

    def on_delivery(err: KafkaError | None, _msg: Message) -> None:
        if err is not None:
            errors.append(str(err))

    return errors, on_delivery


def delete_pipeline_topics(admin: AdminClient, pipeline: str) -> None:
    """Delete every catalog topic of ``pipeline``; topics never created are fine.

    By name rather than by listing: a topic created a moment ago may not be in the
    metadata yet, and would otherwise be left behind on the shared broker.
    """
    topics = [f"{pipeline}.{suffix}" for suffix in TOPIC_SUFFIXES]
    for future in admin.delete_topics(topics, operation_timeout=30).values():
        try:
            future.result(timeout=30)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                raise
