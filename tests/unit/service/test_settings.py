"""Settings and specs that fail naming what to fix; the shared health port name."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from streamops.service import (
    LogSettings,
    ServiceSettings,
    StartupError,
    read_pipeline,
    read_settings,
)
from streamops.settings import KafkaSettings

REPO = Path(__file__).resolve().parents[3]


class DemoSettings(ServiceSettings):
    """A service's settings as a service writes them."""

    model_config = SettingsConfigDict(env_prefix="STREAMOPS_DEMO_", frozen=True, extra="forbid")

    renamed: ClassVar[dict[str, str]] = {"PORT": "HEALTH_PORT"}

    health_port: int = Field(8009, ge=0, le=65535, description="Port.")
    api_token: SecretStr | None = Field(None, min_length=16, description="Token.")
    window_s: float = Field(description="Required.")


def test_every_service_names_its_port_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMOPS_DEMO_HEALTH_PORT", "9100")
    monkeypatch.setenv("STREAMOPS_DEMO_HEALTH_HOST", "127.0.0.1")
    settings = read_settings(DemoSettings, window_s=1.0)
    assert (settings.health_host, settings.health_port) == ("127.0.0.1", 9100)
    assert ServiceSettings().health_port == 0  # the base leaves the choice to the OS


def test_each_bad_variable_is_named_with_what_it_got(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMOPS_DEMO_HEALTH_PORT", "abc")
    with pytest.raises(StartupError) as caught:
        read_settings(DemoSettings)
    assert caught.value.problems == (
        "STREAMOPS_DEMO_HEALTH_PORT: Input should be a valid integer, unable to parse string as "
        "an integer (got 'abc')",
        "STREAMOPS_DEMO_WINDOW_S: Field required",
    )


def test_secrets_are_named_but_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMOPS_DEMO_API_TOKEN", "short-secret")
    with pytest.raises(StartupError) as caught:
        read_settings(DemoSettings, window_s=1.0)
    assert caught.value.problems == (
        "STREAMOPS_DEMO_API_TOKEN: Value should have at least 16 items after validation, not 12",
    )
    assert "short-secret" not in str(caught.value)


def test_a_check_across_fields_names_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMOPS_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    with pytest.raises(StartupError) as caught:
        read_settings(KafkaSettings)
    [problem] = caught.value.problems
    assert problem.startswith("KafkaSettings (STREAMOPS_KAFKA_*): Value error, sasl_mechanism")


def test_a_renamed_variable_fails_naming_the_new_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMOPS_DEMO_PORT", "9100")
    with pytest.raises(StartupError) as caught:
        read_settings(DemoSettings, window_s=1.0)
    assert caught.value.problems == ("STREAMOPS_DEMO_PORT: renamed to STREAMOPS_DEMO_HEALTH_PORT",)


def test_log_settings_are_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMOPS_LOG_FORMAT", "json")
    assert read_settings(LogSettings).format == "json"
    monkeypatch.setenv("STREAMOPS_LOG_LEVEL", "LOUD")
    with pytest.raises(StartupError, match=r"^STREAMOPS_LOG_LEVEL: Input should be 'DEBUG'"):
        read_settings(LogSettings)


def test_every_shared_setting_is_documented() -> None:
    for cls in (ServiceSettings, LogSettings):
        assert [n for n, f in cls.model_fields.items() if not f.description] == []


def test_a_bad_spec_gives_one_problem_a_line_with_file_and_line(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: bad\nevent: {schema: nowhere.avsc}\n")
    with pytest.raises(StartupError) as caught:
        read_pipeline(spec)
    assert caught.value.problems[0] == f"{spec}:2: event.id_field: Field required"
    assert all(p.startswith(f"{spec}:") for p in caught.value.problems)


def test_a_good_spec_is_loaded() -> None:
    assert read_pipeline(REPO / "deploy" / "pipelines" / "fraud.yaml").name == "fraud"
