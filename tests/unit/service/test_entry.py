"""The service entry: exit 2 naming the problem, the stream's health address, topic set-up
retried while the cluster is away, the native-codec warning once, one log format."""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import streamops.service
from streamops import serde
from streamops.cli import app as root_app
from streamops.service import (
    EXIT_CANNOT_START,
    LogSettings,
    ServiceEntry,
    configure_logging,
    ensure_pipeline_topics,
    start_service,
    warn_without_native_codec,
)
from streamops.service import entry as entry_module
from streamops.service import topics as topics_module
from streamops.service.logs import TEXT_FORMAT, formatter
from streamops.settings import KafkaSettings
from streamops.topics import Drift, EnsureReport, ReplicationFactorError, TopicAdminError
from streamops_validation.settings import ValidationSettings

REPO = Path(__file__).resolve().parents[3]
FRAUD = REPO / "deploy" / "pipelines" / "fraud.yaml"
NOWHERE = KafkaSettings(bootstrap_servers="127.0.0.1:1")


def test_the_public_api_is_deliberate() -> None:
    modules = {"entry", "logs", "retry", "settings", "topics"}
    public = {name for name in vars(streamops.service) if not name.startswith("_")} - modules
    assert sorted(streamops.service.__all__) == sorted(public)


def test_cannot_start_prints_one_line_a_problem_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        ServiceEntry("demo").cannot_start("first\nsecond")
    assert exited.value.code == EXIT_CANNOT_START == 2
    assert capsys.readouterr().err == "demo: cannot start: first\ndemo: cannot start: second\n"


def test_a_bad_setting_exits_2_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STREAMOPS_VALIDATION_HEALTH_PORT", "abc")
    with pytest.raises(SystemExit) as exited:
        ServiceEntry("validation").settings(ValidationSettings)
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "validation: cannot start: STREAMOPS_VALIDATION_HEALTH_PORT: Input should be a valid "
        "integer, unable to parse string as an integer (got 'abc')\n"
    )


@pytest.mark.parametrize("service", ["validation", "ingestion"])
def test_streamops_run_exits_2_naming_the_health_port(
    monkeypatch: pytest.MonkeyPatch, service: str
) -> None:
    monkeypatch.setenv("STREAMOPS_PII_SALT", "salt")
    result = CliRunner().invoke(
        root_app,
        ["run", service, "--pipeline", str(FRAUD)],
        env={f"STREAMOPS_{service.upper()}_HEALTH_PORT": "abc"},
    )
    assert result.exit_code == 2
    assert result.stderr == (
        f"{service}: cannot start: STREAMOPS_{service.upper()}_HEALTH_PORT: Input should be a "
        "valid integer, unable to parse string as an integer (got 'abc')\n"
    )


def test_a_bad_spec_exits_2_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: bad\nevent: {schema: nowhere.avsc}\n")
    with pytest.raises(SystemExit):
        ServiceEntry("validation").pipeline(spec)
    assert capsys.readouterr().err.startswith(
        f"validation: cannot start: {spec}:2: event.id_field: Field required\n"
    )


def test_the_stream_serves_on_the_service_s_health_address(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("STREAMOPS_VALIDATION_HEALTH_PORT", "9102")
    monkeypatch.setenv("STREAMOPS_STREAM_BATCH_MAX_RECORDS", "7")
    entry = ServiceEntry("validation")
    stream = entry.stream_settings(entry.settings(ValidationSettings))
    assert (stream.health_host, stream.health_port, stream.batch_max_records) == (
        "0.0.0.0",
        9102,
        7,
    )
    assert caplog.messages == []
    monkeypatch.setenv("STREAMOPS_STREAM_HEALTH_PORT", "9999")
    with caplog.at_level(logging.WARNING):
        assert entry.stream_settings(entry.settings(ValidationSettings)).health_port == 9102
    assert caplog.messages == [
        "STREAMOPS_STREAM_HEALTH_PORT is not read by services: set STREAMOPS_VALIDATION_HEALTH_PORT"
    ]


def test_an_unreachable_cluster_is_an_admin_error_to_retry() -> None:
    with pytest.raises(TopicAdminError):
        ensure_pipeline_topics(NOWHERE, "fraud", timeout_s=0.2)


def test_topic_set_up_is_retried_until_stopped(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(entry_module, "ensure_pipeline_topics", _unreachable)
    entry = ServiceEntry("validation")
    threading.Timer(0.8, entry.stopping.set).start()
    with caplog.at_level(logging.WARNING):
        assert entry.ensure_topics(NOWHERE, "fraud") is None
    assert caplog.messages[0] == (
        "validation: topics of pipeline fraud: no answer; retrying in 0.5 s"
    )


def _unreachable(*_args: object, **_kwargs: object) -> EnsureReport:
    raise TopicAdminError("no answer")


def test_topics_retrying_cannot_fix_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def too_few_brokers(*_args: object, **_kwargs: object) -> EnsureReport:
        raise ReplicationFactorError("the cluster has 1 broker(s)")

    monkeypatch.setattr(entry_module, "ensure_pipeline_topics", too_few_brokers)
    with pytest.raises(SystemExit) as exited:
        ServiceEntry("validation").ensure_topics(NOWHERE, "fraud", replication_factor=3)
    assert exited.value.code == 2
    assert capsys.readouterr().err == "validation: cannot start: the cluster has 1 broker(s)\n"


def test_drift_is_a_warning_and_left_as_is(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    drift = Drift("fraud.events.raw", "retention.ms", "604800000", "86400000")
    seen: list[list[str]] = []

    def found(_admin: object, specs: list[object], **_kwargs: object) -> EnsureReport:
        seen.append([s.name for s in specs])  # type: ignore[attr-defined]
        return EnsureReport(unchanged=("fraud.labels",), drifted=(drift,))

    monkeypatch.setattr(topics_module, "ensure_topics", found)
    with caplog.at_level(logging.WARNING):
        report = ensure_pipeline_topics(NOWHERE, "fraud", partitions=3)
    assert not report.ok
    assert seen[0][0] == "fraud.events.raw" and len(seen[0]) == 13  # the catalog's topics
    assert caplog.messages == [
        "topics of pipeline fraud differ from the catalog (left as they are):\n"
        "  fraud.events.raw  retention.ms: expected '604800000', actual '86400000'"
    ]


@pytest.fixture
def fresh_codec_warning() -> Iterator[None]:
    warn_without_native_codec.cache_clear()
    yield
    warn_without_native_codec.cache_clear()


@pytest.mark.usefixtures("fresh_codec_warning")
def test_a_missing_native_codec_is_one_warning_per_process(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    def missing() -> str:
        calls.append(1)
        return "the native Avro codec is not installed: fastavro encodes (slower)"

    monkeypatch.setattr(serde, "native_codec_warning", missing, raising=False)
    monkeypatch.setattr(logging.getLogger(), "level", logging.getLogger().level)
    with caplog.at_level(logging.WARNING):
        start_service("demo")
        start_service("demo")
    assert caplog.messages == ["the native Avro codec is not installed: fastavro encodes (slower)"]
    assert len(calls) == 1


@pytest.mark.usefixtures("fresh_codec_warning")
def test_no_warning_with_the_codec_or_without_the_check(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delattr(serde, "native_codec_warning", raising=False)
    assert warn_without_native_codec() is None
    warn_without_native_codec.cache_clear()
    monkeypatch.setattr(serde, "native_codec_warning", lambda: None, raising=False)
    assert warn_without_native_codec() is None
    assert caplog.messages == []


def _record(message: str, exc: BaseException | None = None) -> logging.LogRecord:
    info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    record = logging.LogRecord("streamops.demo", logging.WARNING, __file__, 1, message, (), info)
    record.created = 1_777_636_800.25
    return record


def test_text_lines_have_one_format() -> None:
    line = formatter(LogSettings(format="text")).format(_record("ready"))
    assert line.endswith(" WARNING streamops.demo ready")
    assert TEXT_FORMAT == "%(asctime)s %(levelname)s %(name)s %(message)s"


def test_json_lines_carry_the_same_fields() -> None:
    try:
        raise ValueError("boom")
    except ValueError as exc:
        line = formatter(LogSettings(format="json")).format(_record("failed: x", exc))
    entry = json.loads(line)
    assert (entry["time"], entry["level"], entry["logger"], entry["message"]) == (
        "2026-05-01T12:00:00.250+00:00",
        "WARNING",
        "streamops.demo",
        "failed: x",
    )
    assert entry["exception"].endswith("ValueError: boom")


def test_configure_logging_installs_one_handler_or_respects_existing_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "level", logging.WARNING)
    configure_logging(LogSettings(format="json", level="DEBUG"))
    configure_logging(LogSettings(format="json", level="DEBUG"))
    [handler] = root.handlers
    assert root.level == logging.DEBUG
    assert isinstance(handler.formatter, logging.Formatter)
    assert type(handler.formatter).__name__ == "JsonLines"
    assert logging.getLogger("httpx2").level == logging.WARNING


def test_stop_signals_set_stopping_while_starting() -> None:
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    entry = ServiceEntry("demo")
    try:
        entry.handle_stop_signals()
        signal.raise_signal(signal.SIGTERM)
        assert entry.stopping.is_set()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
