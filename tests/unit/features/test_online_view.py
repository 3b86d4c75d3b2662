"""The online view, rebuilt from the service's changelog records, computes for an event it
has not seen exactly the record the service then writes for it."""

from __future__ import annotations

import random
import zlib
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from streamops.features import STORE, OnlineView, feature_set, feature_store
from streamops.pipeline import load_pipeline
from streamops.runtime import InRecord
from streamops.settings import KafkaSettings
from streamops.state import StageState, StateSettings
from streamops.state.records import ChangelogRecord
from streamops_examples.fraud.generator import generate
from streamops_features.featurizer import Featurizer
from tests.support.pipelines import FRAUD
from tests.unit.state.fakes import FakeChangelog, commit_batch

PARTITIONS = 3
INPUT = "fraud.events.valid"


class _Message:
    """A changelog message as confluent-kafka delivers it (what `OnlineView.apply` reads)."""

    def __init__(self, record: ChangelogRecord) -> None:
        self.record = record

    def error(self) -> None:
        return None

    def partition(self) -> int:
        return self.record.partition

    def key(self) -> bytes:
        return self.record.key

    def value(self) -> bytes | None:
        return self.record.value

    def timestamp(self) -> tuple[int, int]:
        return (1, 1_800_000_000_000)


def _events(count: int) -> list[dict[str, Any]]:
    """Fraud events over hours of event time, a share of them shifted out of order (some
    beyond the grace), on few enough cards that windows hold several events."""
    rng = random.Random(7)
    events = []
    for g in generate(count, seed=5, events_per_second=0.5):
        e = dict(g.event)
        e["card_id"] = f"card-{rng.randrange(300):06d}"
        roll = rng.random()
        if roll < 0.05:
            e["event_time"] -= rng.randrange(1, 300_000)  # within the 5 min grace
        elif roll < 0.07:
            e["event_time"] -= rng.randrange(600_000, 7_200_000)  # later than the grace
        events.append(e)
    return events


@pytest.fixture
def view_and_service() -> tuple[OnlineView, Featurizer, StageState, FakeChangelog]:
    features = feature_set(load_pipeline(FRAUD))
    changelog = FakeChangelog()
    state = StageState(
        [feature_store(features)],
        StateSettings(backend="memory"),
        consumer_factory=changelog.consumer,  # type: ignore[arg-type]
    )
    state.bind("fraud.features", CollectorRegistry())
    state.assign(range(PARTITIONS), {})
    view = OnlineView(features, KafkaSettings(), registry=CollectorRegistry())
    view.begin(list(range(PARTITIONS)))
    return view, Featurizer(features, state, "fraud.features"), state, changelog


def test_the_view_computes_what_the_service_then_writes_for_10000_events(
    view_and_service: tuple[OnlineView, Featurizer, StageState, FakeChangelog],
) -> None:
    view, featurizer, state, changelog = view_and_service
    names = featurizer.features.names
    fields = [f["name"] for f in featurizer.features.schema()["fields"]]
    offsets = dict.fromkeys(range(PARTITIONS), 0)
    late = compared = 0
    for event in _events(10_000):
        p = zlib.crc32(event["card_id"].encode()) % PARTITIONS
        assert view.partition_of(event["card_id"]) == p
        predicted = view.vector(event)
        state.begin()
        record = InRecord(INPUT, p, offsets[p], None, None, None, event)
        result = featurizer.featurize_batch([record])
        offsets[p] += 1
        for written in commit_batch(state, changelog, {(INPUT, p): offsets[p]}):
            view.apply(_Message(written))  # type: ignore[arg-type]
        (out,) = result.outputs
        written_value = dict(zip(fields, out.value, strict=True))  # a tuple in field order
        assert predicted.as_dict() == {n: written_value[n] for n in names}, event
        assert predicted.late == written_value["late"]
        assert predicted.partition == p
        late += predicted.late
        compared += 1
    assert compared == 10_000
    assert 100 < late < 400  # the stream did exercise late events
    assert view.entities == sum(state.partition(STORE, p).store.count() for p in range(PARTITIONS))


def test_the_view_does_not_change_its_state_when_asked(
    view_and_service: tuple[OnlineView, Featurizer, StageState, FakeChangelog],
) -> None:
    view, featurizer, state, changelog = view_and_service
    events = _events(50)
    for offset, event in enumerate(events[:40]):
        p = zlib.crc32(event["card_id"].encode()) % PARTITIONS
        state.begin()
        featurizer.featurize_batch([InRecord(INPUT, p, offset, None, None, None, event)])
        for written in commit_batch(state, changelog, {(INPUT, p): offset + 1}):
            view.apply(_Message(written))  # type: ignore[arg-type]
    asked = events[40]
    before = view.rows(asked["card_id"])
    first = view.vector(asked)
    assert view.vector(asked) == first
    assert view.rows(asked["card_id"]) == before


def test_an_event_without_its_key_or_time_is_a_clear_error(
    view_and_service: tuple[OnlineView, Featurizer, StageState, FakeChangelog],
) -> None:
    view = view_and_service[0]
    with pytest.raises(ValueError, match="card_id"):
        view.vector({"event_time": 1})
    with pytest.raises(ValueError, match="event_time"):
        view.vector({"card_id": "card-000001", "event_time": "yesterday"})
