"""Kafka and the registry together, in the order they depend on each other."""

from __future__ import annotations

from dataclasses import dataclass

from streamops_localstack.kafka import KafkaNode
from streamops_localstack.registry import RegistryNode
from streamops_localstack.settings import LocalStackSettings


@dataclass(frozen=True)
class ComponentStatus:
    """What `status` reports for one component."""

    name: str
    pid: int | None
    healthy: bool
    address: str


class LocalStack:
    """The local Kafka broker and schema registry."""

    def __init__(self, settings: LocalStackSettings | None = None) -> None:
        self.settings = settings or LocalStackSettings()
        self.kafka = KafkaNode(self.settings)
        self.registry = RegistryNode(self.settings, self.kafka.bootstrap_servers)

    def up(self) -> None:
        """Start what is not running and wait until both answer."""
        self.kafka.start()
        self.registry.start()

    def down(self) -> list[str]:
        """Stop both (registry first, it is a Kafka client); return the names that were running."""
        stopped = [node.process.name for node in (self.registry, self.kafka) if node.stop()]
        return stopped

    def status(self) -> list[ComponentStatus]:
        """Pid and health of each component."""
        return [
            ComponentStatus(
                "kafka",
                self.kafka.process.pid(),
                self.kafka.is_ready(),
                self.kafka.bootstrap_servers,
            ),
            ComponentStatus(
                "registry", self.registry.process.pid(), self.registry.is_ready(), self.registry.url
            ),
        ]
