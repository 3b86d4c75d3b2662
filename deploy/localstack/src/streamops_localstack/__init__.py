"""Local Apache Kafka and Apicurio Registry from Maven Central jars, for development and tests."""

from streamops_localstack.errors import LocalStackError
from streamops_localstack.kafka import KafkaNode
from streamops_localstack.registry import RegistryNode
from streamops_localstack.settings import LocalStackSettings
from streamops_localstack.stack import ComponentStatus, LocalStack

__all__ = [
    "ComponentStatus",
    "KafkaNode",
    "LocalStack",
    "LocalStackError",
    "LocalStackSettings",
    "RegistryNode",
]
