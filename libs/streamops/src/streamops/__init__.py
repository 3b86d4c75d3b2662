"""streamops: a closed-loop DataOps + MLOps system on Apache Kafka."""

from streamops.settings import KafkaSettings, SchemaRegistrySettings

__all__ = ["KafkaSettings", "SchemaRegistrySettings"]
__version__ = "0.1.0"
