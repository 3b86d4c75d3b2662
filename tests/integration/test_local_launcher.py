"""The local launcher: a broker SIGKILLed mid-life comes back with every acknowledged message."""

from __future__ import annotations

from pathlib import Path

import pytest
from confluent_kafka import Producer

from streamops_localstack import KafkaNode, LocalStackSettings
from tests.support.kafka import create_topic, delivery_recorder, free_port, read_all, unique_name


def _cluster_id(node: KafkaNode) -> str:
    lines = (node.data_dir / "meta.properties").read_text().splitlines()
    return next(line.split("=", 1)[1] for line in lines if line.startswith("cluster.id="))


@pytest.mark.chaos
def test_acknowledged_messages_survive_sigkill_and_restart(tmp_path: Path) -> None:
    node = KafkaNode(
        LocalStackSettings(
            var_dir=tmp_path, kafka_port=free_port(), kafka_controller_port=free_port()
        )
    )
    node.start()
    try:
        cluster_id = _cluster_id(node)
        topic = create_topic(node.bootstrap_servers, unique_name("durable"), partitions=3)
        errors, on_delivery = delivery_recorder()
        producer = Producer({"bootstrap.servers": node.bootstrap_servers, "acks": "all"})
        for i in range(5000):
            producer.produce(topic, key=str(i), value=f"event-{i}", on_delivery=on_delivery)
        assert producer.flush(30) == 0
        assert errors == []

        node.process.kill()
        assert node.process.pid_file.exists(), "SIGKILL leaves a stale pid file behind"
        assert not node.is_ready()

        node.start()  # what `make up` runs: stale pid handled, formatted storage reused
        assert _cluster_id(node) == cluster_id
        messages = read_all(node.bootstrap_servers, topic, expected=5000)
        assert sorted(m.value().decode() for m in messages) == sorted(
            f"event-{i}" for i in range(5000)
        )
    finally:
        node.stop()
    assert node.process.pid() is None
    assert not node.process.pid_file.exists()
