"""Ingestion settings: environment, defaults, and errors that name the variable."""

from __future__ import annotations

import pytest

from streamops.service import ServiceSettings, StartupError, read_settings
from streamops_ingestion.settings import IngestionSettings


def test_defaults() -> None:
    settings = IngestionSettings()
    assert (settings.health_host, settings.health_port, settings.api_token) == (
        "0.0.0.0",
        8001,
        None,
    )
    assert settings.max_batch_events == 1000 and settings.max_body_bytes == 1_048_576


def test_the_port_is_named_like_every_service_s() -> None:
    assert issubclass(IngestionSettings, ServiceSettings)
    assert IngestionSettings.model_config.get("env_prefix") == "STREAMOPS_INGESTION_"


def test_every_field_is_documented() -> None:
    undocumented = [n for n, f in IngestionSettings.model_fields.items() if not f.description]
    assert undocumented == []


def test_values_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMOPS_INGESTION_HEALTH_PORT", "9000")
    monkeypatch.setenv("STREAMOPS_INGESTION_API_TOKEN", "s3cret-token-0123456789")
    settings = read_settings(IngestionSettings)
    assert settings.health_port == 9000
    assert settings.api_token is not None
    assert settings.api_token.get_secret_value() == "s3cret-token-0123456789"


def test_a_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMOPS_INGESTION_HEALTH_PORT", "70000")
    monkeypatch.setenv("STREAMOPS_INGESTION_MAX_BATCH_EVENTS", "many")
    with pytest.raises(StartupError) as caught:
        read_settings(IngestionSettings)
    assert caught.value.problems == (
        "STREAMOPS_INGESTION_HEALTH_PORT: Input should be less than or equal to 65535 "
        "(got '70000')",
        "STREAMOPS_INGESTION_MAX_BATCH_EVENTS: Input should be a valid integer, unable to parse "
        "string as an integer (got 'many')",
    )


@pytest.mark.parametrize(("old", "new"), [("PORT", "HEALTH_PORT"), ("HOST", "HEALTH_HOST")])
def test_the_old_port_names_fail_naming_the_new_ones(
    monkeypatch: pytest.MonkeyPatch, old: str, new: str
) -> None:
    monkeypatch.setenv(f"STREAMOPS_INGESTION_{old}", "9000")
    with pytest.raises(StartupError) as caught:
        read_settings(IngestionSettings)
    assert caught.value.problems == (
        f"STREAMOPS_INGESTION_{old}: renamed to STREAMOPS_INGESTION_{new}",
    )


def test_a_short_token_is_refused_without_showing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMOPS_INGESTION_API_TOKEN", "abc")
    with pytest.raises(StartupError) as caught:
        read_settings(IngestionSettings)
    assert "STREAMOPS_INGESTION_API_TOKEN" in str(caught.value)
    assert "abc" not in str(caught.value)


def test_settings_are_frozen() -> None:
    with pytest.raises(ValueError, match="frozen"):
        IngestionSettings().health_port = 1  # type: ignore[misc]
