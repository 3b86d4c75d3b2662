"""The service's background connection: outages are waited out and shown by /readyz; what
waiting cannot fix stops the service (it then exits 2)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from streamops.serde import RegistryUnavailable
from streamops.service import Backoff, retry
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.topics import EnsureReport, ReplicationFactorError, TopicAdminError
from streamops_ingestion import service as service_module
from streamops_ingestion.api.state import Ingestion
from streamops_ingestion.publish.connect import preparer_for
from streamops_ingestion.service import Connector
from streamops_ingestion.settings import IngestionSettings
from tests.unit.events.samples import fraud_pipeline
from tests.unit.ingestion.fakes import FakeProducer, fraud_target


class Broker(FakeProducer):
    """A fake producer that also answers (or not) the broker check."""

    def __init__(self, answers: list[bool]) -> None:
        super().__init__()
        self.answers = answers

    def check_connection(self, timeout_s: float) -> bool:
        return self.answers.pop(0) if self.answers else True


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        service_module,
        "retry_while_unavailable",
        lambda step, **kw: retry.retry_while_unavailable(
            step, **kw, backoff=Backoff(first_s=0.001, max_s=0.001)
        ),
    )


def connector(producer: Broker) -> tuple[Connector, Ingestion, list[str]]:
    settings = IngestionSettings()
    pipeline = fraud_pipeline()
    state = Ingestion(producer, settings, targets={"fraud": None})
    waiting: list[str] = []
    found = Connector(
        state,
        producer,  # type: ignore[arg-type]
        pipeline,
        preparer_for(pipeline, settings),
        KafkaSettings(),
        SchemaRegistrySettings(),
    )
    found.on_failure = lambda: waiting.append(str(state.waiting_for))
    return found, state, waiting


def test_outages_are_waited_out_then_the_pipeline_is_ready(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    topic_errors = [TopicAdminError("no answer")]
    registry_errors = [RegistryUnavailable("connection refused")]
    seen: list[str] = []

    def topics(*_args: Any, **kwargs: Any) -> EnsureReport:
        seen.append(f"partitions={kwargs['partitions']}")
        if topic_errors:
            raise topic_errors.pop()
        return EnsureReport()

    def register(*_args: Any) -> Any:
        if registry_errors:
            raise registry_errors.pop()
        return fraud_target()[0]

    monkeypatch.setattr(service_module, "ensure_pipeline_topics", topics)
    monkeypatch.setattr(service_module, "connect_target", register)
    found, state, failed = connector(Broker([False, True]))
    found.connect()
    assert state.targets["fraud"] is not None and state.not_ready() == []
    assert seen == ["partitions=6", "partitions=6"]
    assert (found.failure, failed) == (None, [])


def test_what_waiting_cannot_fix_stops_the_service(monkeypatch: pytest.MonkeyPatch) -> None:
    def too_few_brokers(*_args: Any, **_kwargs: Any) -> EnsureReport:
        raise ReplicationFactorError("the cluster has 1 broker(s)")

    monkeypatch.setattr(service_module, "ensure_pipeline_topics", too_few_brokers)
    found, state, failed = connector(Broker([]))
    found.connect()
    assert found.failure == "the cluster has 1 broker(s)"
    assert failed == ["{'fraud': 'ReplicationFactorError: the cluster has 1 broker(s)'}"]
    assert state.targets["fraud"] is None


def test_an_unreachable_broker_is_shown_while_waiting() -> None:
    found, state, _ = connector(Broker([False] * 1000))
    worker = threading.Thread(target=found.connect)
    worker.start()
    try:
        for _ in range(500):
            if state.waiting_for:
                break
            threading.Event().wait(0.01)
        assert state.not_ready()[0].startswith("fraud: ConnectionError: no broker answered at")
    finally:
        found.stop()
        worker.join(5)
    assert not worker.is_alive() and found.failure is None
