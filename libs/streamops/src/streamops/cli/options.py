"""Command-line options shared by every command that talks to Kafka or the registry."""

from __future__ import annotations

from typing import Annotated

import typer

from streamops.settings import KafkaSettings, SchemaRegistrySettings

#: ``--bootstrap-servers``: overrides ``STREAMOPS_KAFKA_BOOTSTRAP_SERVERS`` for one command.
BootstrapServers = Annotated[
    str | None,
    typer.Option(
        "--bootstrap-servers",
        help="Brokers to talk to; overrides STREAMOPS_KAFKA_BOOTSTRAP_SERVERS.",
        show_default="from the environment, else localhost:9092",
    ),
]

#: ``--registry-url``: overrides ``STREAMOPS_SCHEMA_REGISTRY_URL`` for one command.
RegistryUrl = Annotated[
    str | None,
    typer.Option(
        "--registry-url",
        help="Confluent-compatible registry API; overrides STREAMOPS_SCHEMA_REGISTRY_URL.",
        show_default="from the environment, else the local stack's",
    ),
]


def kafka_settings(bootstrap_servers: str | None) -> KafkaSettings:
    """The environment's Kafka settings, with ``--bootstrap-servers`` when given
    (pydantic's ValidationError, a ValueError, names a bad one)."""
    if bootstrap_servers is None:
        return KafkaSettings()
    return KafkaSettings(bootstrap_servers=bootstrap_servers)


def registry_settings(registry_url: str | None) -> SchemaRegistrySettings:
    """The environment's registry settings, with ``--registry-url`` when given."""
    if registry_url is None:
        return SchemaRegistrySettings()
    return SchemaRegistrySettings(url=registry_url)
