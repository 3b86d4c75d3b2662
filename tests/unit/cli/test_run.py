"""`streamops run NAME`: how a service's end reaches its supervisor."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException
from typer.testing import CliRunner

import streamops.cli
from streamops.runtime.calls import TransactionStuck


class _EntryPoint:
    def __init__(self, name: str, main: Callable[[Path], None]) -> None:
        self.name, self._main = name, main

    def load(self) -> Callable[[Path], None]:
        return self._main


def _run(monkeypatch: pytest.MonkeyPatch, main: Callable[[Path], None]) -> Any:
    monkeypatch.setattr(
        streamops.cli, "entry_points", lambda group: [_EntryPoint("features", main)]
    )
    return CliRunner().invoke(streamops.cli.app, ["run", "features"])


def _raise(exc: BaseException) -> Callable[[Path], None]:
    def main(_: Path) -> None:
        raise exc

    return main


def test_a_stuck_transaction_stops_the_service_with_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = _run(monkeypatch, _raise(TransactionStuck("could not commit the transaction")))
    assert result.exit_code == 1
    assert result.stderr == ("features: stopped: could not commit the transaction (exit 1)\n")


def test_a_fatal_kafka_error_is_said_by_its_reason_not_its_repr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fenced = KafkaError(KafkaError._FENCED, "static member fenced", fatal=True)
    result = _run(monkeypatch, _raise(KafkaException(fenced)))
    assert result.exit_code == 1
    assert result.stderr == "features: stopped: static member fenced (exit 1)\n"
    assert "Traceback" not in result.output + result.stderr


def test_a_bug_or_a_kafka_error_a_restart_does_not_answer_keeps_its_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = _run(monkeypatch, _raise(ZeroDivisionError("a bug")))
    assert result.exit_code == 1 and isinstance(result.exception, ZeroDivisionError)
    config = KafkaException(KafkaError(KafkaError._INVALID_ARG, "No such configuration"))
    result = _run(monkeypatch, _raise(config))
    assert result.exit_code == 1 and result.exception is config
    assert "stopped:" not in result.stderr


def test_a_clean_stop_exits_0_and_an_unknown_service_2(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(monkeypatch, lambda _: None).exit_code == 0
    result = CliRunner().invoke(streamops.cli.app, ["run", "nonesuch"])
    assert result.exit_code == 2 and "unknown service 'nonesuch'" in result.stderr
