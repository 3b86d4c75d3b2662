"""Command-line options shared by every command that talks to Kafka or the registry."""

from __future__ import annotations

from typing import Annotated

import typer

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
