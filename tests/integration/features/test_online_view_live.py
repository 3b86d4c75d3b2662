"""A view following a running features service agrees with it, event for event, on events
within the watermark, and says how stale it is."""

from __future__ import annotations

import random
from pathlib import Path

from prometheus_client import CollectorRegistry

from streamops.features import OnlineView, feature_set
from streamops.settings import KafkaSettings
from streamops.topics import TopicNames
from tests.support.feature_streams import transaction_stream
from tests.support.features_service import produce_valid, read_features, start_features
from tests.support.pipelines import create_topics, private_pipeline
from tests.support.stage_process import committed_total, wait_for

HISTORY, PROBES, PARTITIONS = 20_000, 300, 3


def test_a_live_view_predicts_the_records_the_service_then_writes(
    kafka: str, schema_registry: str, tmp_path: Path
) -> None:
    pipeline = private_pipeline(tmp_path, prefix="feat_view")
    create_topics(kafka, pipeline)
    names = TopicNames(pipeline.name)
    history = transaction_stream(count=HISTORY, seed=21, cards=1_000)
    produce_valid(kafka, schema_registry, pipeline, history)
    log = tmp_path / "features.log"
    service = start_features(pipeline, kafka, schema_registry, log)

    def done() -> int:
        return committed_total(kafka, names.stage("features"), names.events_valid, PARTITIONS)

    try:
        wait_for(lambda: done() >= HISTORY, 180, "the history", log)
        registry = CollectorRegistry()
        view = OnlineView(
            feature_set(pipeline), KafkaSettings(bootstrap_servers=kafka), registry=registry
        )
        view.start()
        try:
            assert view.wait_caught_up(60), "the view did not read the changelog to its end"
            wait_for(lambda: _staleness(registry, pipeline.name) == 0, 10, "staleness 0", log)
            probes = _probes(view, history)
            predicted = {e["transaction_id"]: view.vector(e) for e in probes}
            produce_valid(kafka, schema_registry, pipeline, probes)
            wait_for(lambda: done() >= HISTORY + PROBES, 120, "the probes", log)
            # ... and the view follows: it reads the probes' state changes as they commit
            last = probes[-1]
            wait_for(
                lambda: last["event_time"] in ((view.rows(last["card_id"]) or [[]])[0]),
                30,
                "the view to follow the service",
                log,
            )
        finally:
            view.close()
    finally:
        service.terminate()
        service.wait(30)

    written = {
        r["event_id"]: r
        for r in read_features(kafka, schema_registry, pipeline, PARTITIONS)
        if r["event_id"] in predicted
    }
    assert len(written) == PROBES
    names_ = feature_set(pipeline).names
    for event_id, vector in predicted.items():
        record = written[event_id]
        assert vector.as_dict() == {n: record[n] for n in names_}, event_id
        assert not vector.late and not record["late"]


def _probes(view: OnlineView, history: list[dict[str, object]]) -> list[dict[str, object]]:
    """New events of cards the view holds, one per card, timed within the grace behind
    their partition's newest event, so that none moves a watermark or sees another."""
    rng = random.Random(5)
    last_of = {str(e["card_id"]): e for e in history}
    cards = sorted(c for c in last_of if view.rows(c) is not None)
    probes = []
    for n, card in enumerate(rng.sample(cards, PROBES)):
        watermark = view.watermark_ms(view.partition_of(card))
        assert watermark is not None
        event = dict(last_of[card])
        event["transaction_id"] = f"tx-{0xF0000000 + n:016x}"
        event["event_time"] = watermark - rng.randrange(1, 120_000)
        event["amount"] = round(rng.uniform(1, 900), 2)
        probes.append(event)
    return probes


def _staleness(registry: CollectorRegistry, pipeline: str) -> float | None:
    return registry.get_sample_value(
        "streamops_features_view_staleness_seconds", {"pipeline": pipeline}
    )
