"""The scoring core and the line-up, without Kafka."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from streamops.contracts.ids import prediction_id
from streamops_serving.lineup import Lineup, canary_bucket
from streamops_serving.metrics import ServingMetrics
from streamops_serving.runtime.base import PredictError
from streamops_serving.scoring import EventRef, NoModelError, Scorer, _columns
from tests.unit.serving.fakes import deployed


def _refs(n: int) -> list[EventRef]:
    return [EventRef(f"e{i}", f"card-{i}", 1_000 + i) for i in range(n)]


def test_answers_carry_score_threshold_label_and_a_derived_id() -> None:
    scorer = Scorer("p", ServingMetrics(CollectorRegistry(), "p"))
    scorer.lineup = Lineup("m", deployed(1, threshold=0.3))
    answers = scorer.answer([{"x": 2.0}, {"x": 4.0}], _refs(2), "HTTP", "req")
    assert [a.score for a in answers] == pytest.approx([0.2, 0.4])
    assert [a.label for a in answers] == ["0", "1"]  # 0.4 >= 0.3 > 0.2
    first = answers[0].prediction
    assert first["prediction_id"] == prediction_id("p", "e0", "m", 1, "CHAMPION")
    assert (first["source"], first["request_id"], first["served_by"]) == ("HTTP", "req", "CHAMPION")
    assert first["probabilities"] == pytest.approx({"0": 0.8, "1": 0.2})


def test_no_champion_is_an_error_and_a_missing_feature_names_it() -> None:
    scorer = Scorer("p")
    with pytest.raises(NoModelError):
        scorer.answer([{"x": 1.0}], _refs(1), "HTTP")
    scorer.lineup = Lineup("m", deployed(1))
    with pytest.raises(PredictError, match="x"):
        scorer.answer([{"y": 1.0}], _refs(1), "HTTP")


def test_columns_take_every_row_in_order_and_name_what_a_row_lacks() -> None:
    rows = [{"a": i, "b": f"v{i}", "c": None, "unused": 0} for i in range(4)]
    columns = _columns(rows, ["b", "a", "c"])
    assert {k: list(v) for k, v in columns.items()} == {
        "b": ["v0", "v1", "v2", "v3"],
        "a": [0, 1, 2, 3],
        "c": [None] * 4,
    }
    assert {k: list(v) for k, v in _columns(rows, ["a"]).items()} == {"a": [0, 1, 2, 3]}
    assert _columns([], ["a", "b"]) == {"a": [], "b": []}
    with pytest.raises(PredictError, match=r"^b: the model needs this feature"):
        _columns([*rows, {"a": 9}], ["a", "b"])


def test_the_canary_answers_its_entities_and_the_champion_the_rest_in_order() -> None:
    scorer = Scorer("p")
    scorer.lineup = Lineup("m", deployed(1), canary=deployed(2, slope=0.2), canary_weight=0.3)
    refs = _refs(2_000)
    answers = scorer.answer([{"x": 1.0}] * len(refs), refs, "STREAM")
    assert [a.prediction["event_id"] for a in answers] == [r.event_id for r in refs]
    on_canary = [a.prediction["served_by"] == "CHALLENGER" for a in answers]
    assert [canary_bucket("m", r.entity_key) < 0.3 for r in refs] == on_canary
    assert sum(on_canary) / len(refs) == pytest.approx(0.3, abs=0.03)
    assert {a.deployed.version for a in answers if a.role == "CHALLENGER"} == {2}


def test_canary_buckets_are_stable_and_a_larger_weight_keeps_the_entities_it_had() -> None:
    keys = [f"k{i}" for i in range(500)]
    assert [canary_bucket("m", k) for k in keys] == [canary_bucket("m", k) for k in keys]
    small = {k for k in keys if canary_bucket("m", k) < 0.1}
    large = {k for k in keys if canary_bucket("m", k) < 0.2}
    assert small < large
