"""What an HTTP request goes through, for REST and V2 alike: raw events are checked and
PII-treated as ingestion does (`streamops.events`), their features come from the online
view, the scoring core answers, and the answers go to the predictions log and the shadow
off the request path."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from streamops.events.prepare import Prepared, RecordPreparer
from streamops.features import event_time_ms
from streamops.features.view import OnlineView
from streamops_serving.api.asgi import HttpError
from streamops_serving.lineup import Deployed, Lineup, Role
from streamops_serving.predictions import PredictionLog, ShadowQueue
from streamops_serving.runtime.base import PredictError
from streamops_serving.scoring import Answer, EventRef, NoModelError, Scorer

#: What ingestion's ``source`` field says for events scored by serving.
SOURCE = "serving"


class RequestScorer:
    """Answers HTTP requests with the scoring core."""

    def __init__(
        self,
        scorer: Scorer,
        view: OnlineView,
        preparer: RecordPreparer,
        log: PredictionLog | None,
        shadow: ShadowQueue | None,
        *,
        answering: bool = True,
    ) -> None:
        """``answering`` False: a stream-only replica, which holds no online view."""
        self.scorer, self.view, self.preparer = scorer, view, preparer
        self.log, self.shadow = log, shadow
        self.answering = answering
        fs = view.features
        self._id, self._key, self._time = fs.id_field, fs.key_field, fs.time_field
        # ids of requests that sent none: unique per process start, cheaper than a uuid4
        self._prefix, self._count = uuid.uuid4().hex[:12], itertools.count()

    def events(
        self, items: Sequence[Any], request_id: str | None, version: int | None = None
    ) -> list[Answer]:
        """Answers for raw events (JSON objects of the event schema); 422 naming each bad
        field (with the event's index in a batch). ``version``: that loaded version answers
        instead of the line-up."""
        self._check_answering()
        prepared, errors = [], []
        for i, item in enumerate(items):
            outcome = self.preparer.prepare(item, source=SOURCE)
            if isinstance(outcome, Prepared):
                prepared.append(outcome.record)
            else:
                where = {"index": i} if len(items) > 1 else {}
                errors += [{**where, **e.to_json()} for e in outcome.errors]
        if errors:
            first = errors[0]["message"]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            raise HttpError(422, f"{first}{more}", extra={"errors": errors})
        rows, refs = [], []
        for record in prepared:
            try:
                vector = self.view.vector(record)
            except ValueError as exc:
                raise HttpError(422, str(exc)) from exc
            rows.append(vector.as_dict())
            refs.append(
                EventRef(record[self._id], record[self._key], event_time_ms(record[self._time]))
            )
        return self._answer(rows, refs, request_id, version)

    def features(
        self,
        rows: Sequence[Mapping[str, Any]],
        request_id: str | None,
        version: int | None = None,
    ) -> list[Answer]:
        """Answers for rows of feature values sent by the caller (no event: each row's
        event id is the request's id and its index)."""
        self._check_answering()
        rid = request_id or self._new_request_id()
        refs = [EventRef(f"{rid}#{i}", "", 0) for i in range(len(rows))]
        return self._answer(rows, refs, request_id, version)

    def _check_answering(self) -> None:
        if not self.answering:
            raise HttpError(
                503, "this replica only scores the stream (STREAMOPS_SERVING_MODE=stream)"
            )

    def _new_request_id(self) -> str:
        return f"{self._prefix}-{next(self._count)}"

    def _answer(
        self,
        rows: Sequence[Mapping[str, Any]],
        refs: Sequence[EventRef],
        request_id: str | None,
        version: int | None = None,
    ) -> list[Answer]:
        lineup = self.scorer.lineup  # one line-up for the whole request, even across a swap
        try:
            if version is None:
                answers = self.scorer.answer(rows, refs, "HTTP", request_id, lineup)
            else:
                deployed, role = _version(lineup, version)
                answers = self.scorer.score(deployed, role, rows, refs, "HTTP", request_id)
        except NoModelError as exc:
            raise HttpError(503, str(exc)) from exc
        except PredictError as exc:
            raise HttpError(422, str(exc)) from exc
        if self.log is not None:
            self.log.offer([a.prediction for a in answers])
        if self.shadow is not None and lineup.shadow is not None and version is None:
            self.shadow.offer((lineup.shadow, rows, refs, "HTTP", request_id))
        return answers


def _version(lineup: Lineup, version: int) -> tuple[Deployed, Role]:
    deployed = lineup.loaded().get(version)
    if deployed is None:
        loaded = ", ".join(map(str, sorted(lineup.loaded()))) or "none"
        raise HttpError(404, f"version {version} is not loaded (loaded: {loaded})")
    champion = lineup.champion is not None and lineup.champion.version == version
    return deployed, "CHAMPION" if champion else "CHALLENGER"
