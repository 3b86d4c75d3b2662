"""What an HTTP request goes through, without Kafka: a stream-only replica refuses, a
feature row without its feature is a 422 naming it, a request's rows reach the shadow, and
the requests of one turn of the event loop are scored in one model run."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from streamops.events.ids import id_format_for
from streamops.events.prepare import RecordPreparer
from streamops.features import feature_set
from streamops.pipeline import load_pipeline
from streamops.pipeline.pii import PiiTreatment
from streamops_serving.api.asgi import HttpError
from streamops_serving.lineup import Lineup
from streamops_serving.requests import RequestScorer
from streamops_serving.scoring import Scorer
from tests.support.pipelines import FRAUD
from tests.unit.serving.fakes import deployed


def _requests(answering: bool = True, shadow: Any = None) -> RequestScorer:
    pipeline = load_pipeline(FRAUD)
    scorer = Scorer("fraud")
    scorer.lineup = Lineup("m", deployed(1), shadow=deployed(2) if shadow else None)
    view = SimpleNamespace(features=feature_set(pipeline))
    preparer = RecordPreparer(
        pipeline, id_format_for(pipeline.spec), PiiTreatment(pipeline.spec.pii, salt="s")
    )
    return RequestScorer(scorer, view, preparer, None, shadow, answering=answering)  # type: ignore[arg-type]


def test_a_stream_only_replica_answers_503() -> None:
    requests = _requests(answering=False)
    for call in (lambda: requests.events([{}], None), lambda: requests.features([{}], None)):
        with pytest.raises(HttpError) as refused:
            asyncio.run(call())
        assert refused.value.status == 503 and "MODE=stream" in refused.value.message


def test_feature_rows_are_answered_and_a_missing_feature_is_named() -> None:
    requests = _requests()
    (answer,) = asyncio.run(requests.features([{"x": 3.0}], "req-9"))
    assert answer.prediction["event_id"] == "req-9#0"
    assert answer.prediction["request_id"] == "req-9"
    with pytest.raises(HttpError) as bad:
        asyncio.run(requests.features([{"y": 1.0}], None))
    assert bad.value.status == 422 and bad.value.message.startswith("x:")


def test_the_shadow_gets_the_rows_of_each_request_and_the_caller_never_sees_it() -> None:
    jobs: list[Any] = []
    requests = _requests(shadow=SimpleNamespace(offer=jobs.append))
    answers = asyncio.run(requests.features([{"x": 1.0}, {"x": 2.0}], None))
    assert {a.role for a in answers} == {"CHAMPION"}
    ((shadow, rows, refs, source, _),) = jobs
    assert shadow.version == 2 and len(rows) == len(refs) == 2 and source == "HTTP"


def test_raw_events_are_checked_as_ingestion_checks_them() -> None:
    with pytest.raises(HttpError) as bad:
        asyncio.run(_requests().events([{"amount": "a lot", "colour": "red"}], None))
    assert bad.value.status == 422
    fields = {e["field"] for e in bad.value.extra["errors"]}
    assert {"amount", "colour"} <= fields


def test_the_requests_of_one_turn_are_scored_in_one_run_and_each_gets_its_own() -> None:
    requests = _requests()
    runtime = requests.scorer.lineup.champion.runtime  # type: ignore[union-attr]

    async def three() -> list[Any]:
        return await asyncio.gather(
            requests.features([{"x": 1.0}], "a"),
            requests.features([{"x": 2.0}, {"x": 3.0}], "b"),
            requests.features([{"x": 4.0}], None),
        )

    a, b, c = asyncio.run(three())
    assert runtime.calls == 1  # one model run for the three requests
    assert [x.score for x in (*a, *b, *c)] == pytest.approx([0.1, 0.2, 0.3, 0.4])
    assert [x.prediction["request_id"] for x in (*a, *b, *c)] == ["a", "b", "b", None]
    assert [x.prediction["event_id"] for x in (*a, *b)] == ["a#0", "b#0", "b#1"]


def test_a_bad_row_fails_its_own_request_only() -> None:
    requests = _requests()

    async def two() -> list[Any]:
        return await asyncio.gather(
            requests.features([{"x": 1.0}], "good"),
            requests.features([{"y": 1.0}], "bad"),
            return_exceptions=True,
        )

    good, bad = asyncio.run(two())
    assert [x.score for x in good] == pytest.approx([0.1])
    assert isinstance(bad, HttpError) and bad.status == 422 and bad.message.startswith("x:")
