"""Confluent's own Avro serde, configured as a client of Apicurio should configure it.

confluent-kafka 2.13+ serializers and deserializers ask the registry for subject
"associations" (a newer Confluent endpoint) unless a subject name strategy is set.
Apicurio does not implement that endpoint; it answers 404, and once in a while it never
answers at all (seen here: the request logged as a 404 by the registry, no response on
the socket), which hangs the client. The TOPIC strategy (`<topic>-value`, what every
streamops topic uses) avoids the call; the client timeout turns any other hang into an
error instead of a stuck test.
"""

from __future__ import annotations

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer

REGISTRY_TIMEOUT_S = 30


def registry_client(url: str) -> SchemaRegistryClient:
    """A registry client whose requests fail after REGISTRY_TIMEOUT_S instead of hanging."""
    return SchemaRegistryClient({"url": url, "timeout": REGISTRY_TIMEOUT_S})


def avro_deserializer(registry: SchemaRegistryClient) -> AvroDeserializer:
    """A plain confluent-kafka AvroDeserializer with the topic subject strategy."""
    return AvroDeserializer(registry, conf={"subject.name.strategy.type": "TOPIC"})


def avro_serializer(registry: SchemaRegistryClient, schema: str) -> AvroSerializer:
    """A plain confluent-kafka AvroSerializer with the topic subject strategy (see above)."""
    return AvroSerializer(registry, schema, conf={"subject.name.strategy.type": "TOPIC"})
