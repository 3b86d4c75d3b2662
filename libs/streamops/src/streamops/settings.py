"""Connection settings shared by every service: the Kafka cluster and the schema registry.

Values come from the environment (``STREAMOPS_KAFKA_*``, ``STREAMOPS_SCHEMA_REGISTRY_*``);
the defaults point at the local stack that ``make up`` starts. A bad value fails at
start-up with the field named, as pydantic reports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The ccompat (Confluent-compatible) API of the Apicurio Registry started by ``make up``.
LOCAL_SCHEMA_REGISTRY_URL = "http://localhost:8081/apis/ccompat/v7"

#: A librdkafka configuration, as confluent-kafka's Producer, Consumer and AdminClient take it.
ClientConfig = dict[str, str | int | float | bool]

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "GSSAPI"]


class KafkaSettings(BaseSettings):
    """How to reach the Kafka cluster, including the security options of a production cluster."""

    model_config = SettingsConfigDict(env_prefix="STREAMOPS_KAFKA_", frozen=True, extra="forbid")

    bootstrap_servers: str = Field(
        "localhost:9092", min_length=1, description="Comma-separated host:port list of brokers."
    )
    security_protocol: SecurityProtocol = Field(
        "PLAINTEXT", description="Protocol used to talk to brokers (librdkafka security.protocol)."
    )
    sasl_mechanism: SaslMechanism | None = Field(
        None, description="SASL mechanism; required when security_protocol is SASL_*."
    )
    sasl_username: str | None = Field(None, description="SASL username (PLAIN and SCRAM).")
    sasl_password: SecretStr | None = Field(None, description="SASL password (PLAIN and SCRAM).")
    ssl_ca_location: Path | None = Field(
        None, description="CA certificate file used to verify the brokers (SSL and SASL_SSL)."
    )
    ssl_certificate_location: Path | None = Field(
        None, description="Client certificate file for mutual TLS."
    )
    ssl_key_location: Path | None = Field(
        None, description="Client private key file for mutual TLS."
    )
    ssl_key_password: SecretStr | None = Field(
        None, description="Password of the client private key."
    )
    client_id: str = Field(
        "streamops", description="client.id sent to the brokers, seen in their logs."
    )

    @model_validator(mode="after")
    def _check_security(self) -> KafkaSettings:
        if self.security_protocol.startswith("SASL_") and self.sasl_mechanism is None:
            raise ValueError(
                f"sasl_mechanism is required when security_protocol is {self.security_protocol}"
            )
        if self.sasl_mechanism in ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512") and not (
            self.sasl_username and self.sasl_password
        ):
            raise ValueError(
                f"sasl_username and sasl_password are required for {self.sasl_mechanism}"
            )
        for name in ("ssl_ca_location", "ssl_certificate_location", "ssl_key_location"):
            path = getattr(self, name)
            if path is not None and not path.is_file():
                raise ValueError(f"{name}: no such file: {path}")
        return self

    def client_config(self) -> ClientConfig:
        """The librdkafka properties shared by producers, consumers and admin clients."""
        config: ClientConfig = {
            "bootstrap.servers": self.bootstrap_servers,
            "security.protocol": self.security_protocol,
            "client.id": self.client_id,
        }
        optional = {
            "sasl.mechanism": self.sasl_mechanism,
            "sasl.username": self.sasl_username,
            "sasl.password": self.sasl_password.get_secret_value() if self.sasl_password else None,
            "ssl.ca.location": self.ssl_ca_location,
            "ssl.certificate.location": self.ssl_certificate_location,
            "ssl.key.location": self.ssl_key_location,
            "ssl.key.password": self.ssl_key_password.get_secret_value()
            if self.ssl_key_password
            else None,
        }
        config.update({key: str(value) for key, value in optional.items() if value is not None})
        return config


class SchemaRegistrySettings(BaseSettings):
    """How to reach the Confluent-compatible schema registry."""

    model_config = SettingsConfigDict(
        env_prefix="STREAMOPS_SCHEMA_REGISTRY_", frozen=True, extra="forbid"
    )

    url: str = Field(
        LOCAL_SCHEMA_REGISTRY_URL,
        pattern=r"^https?://",
        description="Base URL of the Confluent-compatible API (Apicurio: .../apis/ccompat/v7).",
    )
    basic_auth_user_info: SecretStr | None = Field(
        None, description="'user:password' for registries behind basic auth."
    )
    ssl_ca_location: Path | None = Field(
        None, description="CA certificate file for an https registry."
    )
    timeout_s: float = Field(
        10.0, gt=0, description="Limit on one registry request: a silent registry is an error."
    )

    def client_config(self) -> dict[str, Any]:
        """The configuration dict for confluent_kafka.schema_registry.SchemaRegistryClient."""
        config: dict[str, Any] = {"url": self.url, "timeout": self.timeout_s}
        if self.basic_auth_user_info is not None:
            config["basic.auth.user.info"] = self.basic_auth_user_info.get_secret_value()
        if self.ssl_ca_location is not None:
            config["ssl.ca.location"] = str(self.ssl_ca_location)
        return config
