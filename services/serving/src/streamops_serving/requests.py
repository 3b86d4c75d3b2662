"""What an HTTP request goes through, for REST and V2 alike: raw events are checked and
PII-treated as ingestion does (`streamops.events`), their features come from the online
view, the scoring core answers, and the answers go to the predictions log and the shadow
off the request path.

The requests that reach the scoring core in one turn of the event loop are scored in one
model run (`Coalescer`): under load a forest scores a few rows together for about the
cost of one, and a request alone waits for nothing but that turn.
"""

from __future__ import annotations

import asyncio
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
        self._coalescer = Coalescer(scorer)

    async def events(
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
        return await self._answer(rows, refs, request_id, version)

    async def features(
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
        return await self._answer(rows, refs, request_id, version)

    def _check_answering(self) -> None:
        if not self.answering:
            raise HttpError(
                503, "this replica only scores the stream (STREAMOPS_SERVING_MODE=stream)"
            )

    def _new_request_id(self) -> str:
        return f"{self._prefix}-{next(self._count)}"

    async def _answer(
        self,
        rows: Sequence[Mapping[str, Any]],
        refs: Sequence[EventRef],
        request_id: str | None,
        version: int | None = None,
    ) -> list[Answer]:
        try:
            if version is None:
                answers, lineup = await self._coalescer.answer(rows, refs, request_id)
            else:
                lineup = self.scorer.lineup
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


_Waiting = tuple[
    Sequence[Mapping[str, Any]],
    Sequence[EventRef],
    str | None,
    "asyncio.Future[tuple[list[Answer], Lineup]]",
]


class Coalescer:
    """Scores together the requests that ask in the same turn of the event loop.

    A request's rows wait in a list; the first to wait schedules `_flush` for the end of
    the turn (``call_soon``), which scores every waiting row with one line-up in one call
    of `Scorer.answer` and hands each request its part. A request alone is scored as it
    would be without this. When the call fails on a row (`PredictError`) each request is
    scored alone again, so that only the one at fault gets the error.
    """

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer
        self._waiting: list[_Waiting] = []

    async def answer(
        self, rows: Sequence[Mapping[str, Any]], refs: Sequence[EventRef], request_id: str | None
    ) -> tuple[list[Answer], Lineup]:
        """The champion's (or the canary's) answers for ``rows``, and the line-up that gave
        them; raises what `Scorer.answer` raises."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[list[Answer], Lineup]] = loop.create_future()
        if not self._waiting:
            loop.call_soon(self._flush)
        self._waiting.append((rows, refs, request_id, future))
        return await future

    def _flush(self) -> None:
        waiting, self._waiting = self._waiting, []
        lineup = self.scorer.lineup  # one line-up for every request of the turn
        if len(waiting) > 1:
            rows = [row for w in waiting for row in w[0]]
            refs = [ref for w in waiting for ref in w[1]]
            try:
                answers = self.scorer.answer(rows, refs, "HTTP", None, lineup)
            except PredictError:
                pass  # a row of one request: each alone below, so only it gets the error
            except Exception as exc:
                for *_, future in waiting:
                    _settle(future, exc)
                return
            else:
                start = 0
                for part_rows, _, request_id, future in waiting:
                    part = answers[start : start + len(part_rows)]
                    start += len(part_rows)
                    for answer in part:
                        answer.prediction["request_id"] = request_id
                    _settle(future, (part, lineup))
                return
        for rows_, refs_, request_id, future in waiting:
            try:
                one = self.scorer.answer(rows_, refs_, "HTTP", request_id, lineup)
            except Exception as exc:
                _settle(future, exc)
            else:
                _settle(future, (one, lineup))


def _settle(
    future: asyncio.Future[tuple[list[Answer], Lineup]],
    outcome: tuple[list[Answer], Lineup] | Exception,
) -> None:
    if future.done():  # its request went away (the client left)
        return
    if isinstance(outcome, Exception):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def _version(lineup: Lineup, version: int) -> tuple[Deployed, Role]:
    deployed = lineup.loaded().get(version)
    if deployed is None:
        loaded = ", ".join(map(str, sorted(lineup.loaded()))) or "none"
        raise HttpError(404, f"version {version} is not loaded (loaded: {loaded})")
    champion = lineup.champion is not None and lineup.champion.version == version
    return deployed, "CHAMPION" if champion else "CHALLENGER"
