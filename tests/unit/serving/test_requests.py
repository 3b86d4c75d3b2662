"""What an HTTP request goes through, without Kafka: a stream-only replica refuses, a
feature row without its feature is a 422 naming it, a request's rows reach the shadow."""

from __future__ import annotations

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
            call()
        assert refused.value.status == 503 and "MODE=stream" in refused.value.message


def test_feature_rows_are_answered_and_a_missing_feature_is_named() -> None:
    requests = _requests()
    (answer,) = requests.features([{"x": 3.0}], "req-9")
    assert answer.prediction["event_id"] == "req-9#0"
    assert answer.prediction["request_id"] == "req-9"
    with pytest.raises(HttpError) as bad:
        requests.features([{"y": 1.0}], None)
    assert bad.value.status == 422 and bad.value.message.startswith("x:")


def test_the_shadow_gets_the_rows_of_each_request_and_the_caller_never_sees_it() -> None:
    jobs: list[Any] = []
    requests = _requests(shadow=SimpleNamespace(offer=jobs.append))
    answers = requests.features([{"x": 1.0}, {"x": 2.0}], None)
    assert {a.role for a in answers} == {"CHAMPION"}
    ((shadow, rows, refs, source, _),) = jobs
    assert shadow.version == 2 and len(rows) == len(refs) == 2 and source == "HTTP"


def test_raw_events_are_checked_as_ingestion_checks_them() -> None:
    with pytest.raises(HttpError) as bad:
        _requests().events([{"amount": "a lot", "colour": "red"}], None)
    assert bad.value.status == 422
    fields = {e["field"] for e in bad.value.extra["errors"]}
    assert {"amount", "colour"} <= fields
