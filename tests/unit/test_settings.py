"""Connection settings: environment parsing, security pass-through, errors that name the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from streamops.settings import LOCAL_SCHEMA_REGISTRY_URL, KafkaSettings, SchemaRegistrySettings


def test_defaults_point_at_the_local_stack() -> None:
    assert KafkaSettings().client_config()["bootstrap.servers"] == "localhost:9092"
    assert SchemaRegistrySettings().client_config() == {
        "url": LOCAL_SCHEMA_REGISTRY_URL,
        "timeout": 10.0,
    }


def test_sasl_ssl_options_are_passed_to_librdkafka(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("STREAMOPS_KAFKA_BOOTSTRAP_SERVERS", "b1:9094,b2:9094")
    monkeypatch.setenv("STREAMOPS_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("STREAMOPS_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("STREAMOPS_KAFKA_SASL_USERNAME", "svc")
    monkeypatch.setenv("STREAMOPS_KAFKA_SASL_PASSWORD", "s3cret")
    monkeypatch.setenv("STREAMOPS_KAFKA_SSL_CA_LOCATION", str(ca))
    config = KafkaSettings().client_config()
    assert config == {
        "bootstrap.servers": "b1:9094,b2:9094",
        "security.protocol": "SASL_SSL",
        "client.id": "streamops",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "svc",
        "sasl.password": "s3cret",
        "ssl.ca.location": str(ca),
    }
    assert "s3cret" not in repr(KafkaSettings())


@pytest.mark.parametrize(
    ("env", "field"),
    [
        ({"STREAMOPS_KAFKA_SECURITY_PROTOCOL": "TLS"}, "security_protocol"),
        ({"STREAMOPS_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "sasl_mechanism"),
        ({"STREAMOPS_KAFKA_BOOTSTRAP_SERVERS": ""}, "bootstrap_servers"),
        ({"STREAMOPS_KAFKA_SSL_CA_LOCATION": "/nonexistent/ca.pem"}, "ssl_ca_location"),
    ],
)
def test_bad_kafka_setting_names_the_field(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], field: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError, match=field):
        KafkaSettings()


def test_bad_registry_url_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMOPS_SCHEMA_REGISTRY_URL", "localhost:8081")
    with pytest.raises(ValidationError, match="url"):
        SchemaRegistrySettings()


def test_settings_are_frozen() -> None:
    settings = KafkaSettings()
    with pytest.raises(ValidationError):
        settings.bootstrap_servers = "elsewhere:9092"  # type: ignore[misc]
