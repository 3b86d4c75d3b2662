"""Ingestion settings: environment, defaults, and errors that name the variable."""

from __future__ import annotations

import pytest

from streamops_ingestion import IngestionConfigError, IngestionSettings
from streamops_ingestion.startup import load_settings


def test_defaults() -> None:
    settings = IngestionSettings()
    assert (settings.host, settings.port, settings.api_token) == ("0.0.0.0", 8001, None)
    assert settings.max_batch_events == 1000 and settings.max_body_bytes == 1_048_576


def test_every_field_is_documented() -> None:
    undocumented = [n for n, f in IngestionSettings.model_fields.items() if not f.description]
    assert undocumented == []


def test_values_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMOPS_INGESTION_PORT", "9000")
    monkeypatch.setenv("STREAMOPS_INGESTION_API_TOKEN", "s3cret-token-0123456789")
    settings = load_settings(IngestionSettings)
    assert settings.port == 9000
    assert settings.api_token is not None
    assert settings.api_token.get_secret_value() == "s3cret-token-0123456789"


def test_a_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMOPS_INGESTION_PORT", "70000")
    monkeypatch.setenv("STREAMOPS_INGESTION_MAX_BATCH_EVENTS", "many")
    with pytest.raises(IngestionConfigError) as caught:
        load_settings(IngestionSettings)
    message = str(caught.value)
    assert "STREAMOPS_INGESTION_PORT: Input should be less than or equal to 65535" in message
    assert "STREAMOPS_INGESTION_MAX_BATCH_EVENTS: Input should be a valid integer" in message


def test_a_short_token_is_refused_without_showing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMOPS_INGESTION_API_TOKEN", "abc")
    with pytest.raises(IngestionConfigError) as caught:
        load_settings(IngestionSettings)
    assert "STREAMOPS_INGESTION_API_TOKEN" in str(caught.value)
    assert "'abc'" not in str(caught.value)


def test_settings_are_frozen() -> None:
    with pytest.raises(ValueError, match="frozen"):
        IngestionSettings().port = 1  # type: ignore[misc]
