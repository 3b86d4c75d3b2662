"""Kafka and the registry together, in the order they depend on each other."""

from __future__ import annotations

from dataclasses import dataclass

from streamops_localstack.kafka import KafkaNode
from streamops_localstack.registry import RegistryNode
from streamops_localstack.services import SERVICES, ServiceNode
from streamops_localstack.settings import LocalStackSettings


@dataclass(frozen=True)
class ComponentStatus:
    """What `status` reports for one component."""

    name: str
    pid: int | None
    healthy: bool
    address: str
    #: answering, though not ready yet (serving before its first champion)
    started: bool | None = None


class LocalStack:
    """The local Kafka broker and schema registry."""

    def __init__(self, settings: LocalStackSettings | None = None) -> None:
        self.settings = settings or LocalStackSettings()
        self.kafka = KafkaNode(self.settings)
        self.registry = RegistryNode(self.settings, self.kafka.bootstrap_servers)
        self.services = [
            ServiceNode(self.settings, spec, self.kafka.bootstrap_servers, self.registry.url)
            for spec in SERVICES
        ]

    def up(self) -> None:
        """Start what is not running and wait until everything answers."""
        self.kafka.start()
        self.registry.start()
        if self.settings.with_services:
            for service in self.services:
                service.start()

    def down(self) -> list[str]:
        """Stop everything, clients before what they use; return the names that were running."""
        nodes: list[ServiceNode | RegistryNode | KafkaNode] = [
            *reversed(self.services),
            self.registry,
            self.kafka,
        ]
        return [node.process.name for node in nodes if node.stop()]

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
            *[
                ComponentStatus(s.spec.name, s.process.pid(), s.is_ready(), s.url, s.is_started())
                for s in self.services
                if self.settings.with_services or s.process.pid() is not None
            ],
        ]
