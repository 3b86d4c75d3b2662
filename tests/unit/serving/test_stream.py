"""Stream scoring's transform, without Kafka: a Prediction per record and role."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry

from streamops.contracts.ids import prediction_id
from streamops.runtime import InRecord
from streamops_serving.lineup import Lineup
from streamops_serving.metrics import ServingMetrics
from streamops_serving.scoring import Scorer
from streamops_serving.stream import StreamScorer
from tests.unit.serving.fakes import Linear, deployed


def _records(values: list[object]) -> list[InRecord]:
    return [
        InRecord(
            "p.features",
            i % 2,
            100 + i,
            1_767_225_600_000,
            f"card-{i}".encode(),
            b"",
            {
                "event_id": f"e{i}",
                "entity_key": f"card-{i}",
                "event_time": datetime(2026, 1, 1, 0, 0, i, tzinfo=UTC),
                "x": x,
            },
        )
        for i, x in enumerate(values)
    ]


def _stream(lineup: Lineup) -> tuple[StreamScorer, CollectorRegistry]:
    registry = CollectorRegistry()
    metrics = ServingMetrics(registry, "p")
    scorer = Scorer("p", metrics)
    scorer.lineup = lineup
    return StreamScorer(scorer, "p.predictions", metrics), registry


def test_each_record_gets_the_champions_and_the_shadows_prediction_with_its_source() -> None:
    stream, _ = _stream(Lineup("m", deployed(1), shadow=deployed(2, slope=0.2)))
    records = _records([1.0, 2.0, 3.0])
    result = stream.score_batch(records)
    assert not result.rejected
    got = [(o.source, o.value["served_by"], o.value["score"]) for o in result.outputs]
    assert got == [
        (records[0], "CHAMPION", pytest.approx(0.1)),
        (records[1], "CHAMPION", pytest.approx(0.2)),
        (records[2], "CHAMPION", pytest.approx(0.3)),
        (records[0], "SHADOW", pytest.approx(0.2)),
        (records[1], "SHADOW", pytest.approx(0.4)),
        (records[2], "SHADOW", pytest.approx(0.6)),
    ]
    first = result.outputs[0]
    assert first.topic == "p.predictions" and first.key == "card-0"
    assert first.value["prediction_id"] == prediction_id("p", "e0", "m", 1, "CHAMPION")
    assert first.value["feature_ref"] == {"topic": "p.features", "partition": 0, "offset": 100}
    assert first.value["event_time"] == 1_767_225_600_000  # 2026-01-01T00:00:00Z in ms
    assert first.value["source"] == "STREAM"


class _Failing(Linear):
    def predict(self, columns):  # type: ignore[no-untyped-def]
        raise RuntimeError("the shadow broke")


def test_a_failing_shadow_is_counted_and_costs_the_champion_nothing() -> None:
    shadow = deployed(2)
    shadow = type(shadow)(shadow.record, _Failing(), 0.0)
    stream, registry = _stream(Lineup("m", deployed(1), shadow=shadow))
    result = stream.score_batch(_records([1.0, 2.0]))
    assert [o.value["served_by"] for o in result.outputs] == ["CHAMPION", "CHAMPION"]
    errors = registry.get_sample_value("streamops_serving_shadow_errors_total", {"pipeline": "p"})
    assert errors == 1


def test_a_record_the_model_cannot_score_is_rejected_and_the_others_are_scored() -> None:
    stream, _ = _stream(Lineup("m", deployed(1)))
    records = _records([1.0, 2.0, 3.0])
    del records[1].value["x"]
    result = stream.score_batch(records)
    assert [o.source for o in result.outputs] == [records[0], records[2]]
    [rejected] = result.rejected
    assert rejected.record is records[1] and rejected.kind == "TRANSFORM"
    assert "x" in rejected.reasons[0].message
