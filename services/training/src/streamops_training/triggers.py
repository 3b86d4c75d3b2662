"""When to train: the spec's ``retraining:`` section applied to what the log says, in event time.

`Triggers` is told what the service reads (features records' event times, labels, alerts,
operators' requests, whether a champion exists) and answers `due`: the job to start now,
or None. Time is event time (the newest features record's), so a stream played N times
faster retrains N times sooner, as everything else in the loop.

- **first model**: no champion yet and ``min_labels`` labels known;
- **alert**: an open alert whose kind is in ``on_alert`` (again once it grows, about the
  champion now serving: see `Triggers.alert`); its job is judged on the rows since the
  oldest of its alerts' windows began (`Trigger.since_ms`), and waits until
  ``judged_rows`` of them are labelled;
- **labels**: ``every_labels`` labels known since the last job's;
- **schedule**: ``schedule`` of event time since the last job;
- **manual**: ``streamops train P`` (an operator's request: neither paused nor cooled down).

A **cooldown** follows each job (a manual one too; manual requests themselves are never
held by it): what comes during it waits, and the alerts that
came start one job when it ends. So an alert storm starts one job, not fifty, and a drift
that goes on during the cooldown is not forgotten. While paused (``streamops retraining
pause P``) only manual requests start jobs; what waits is taken up on resume.

*Labels known* is what a dataset built now would label: with ``negative_after_delay`` the
features records at least the label delay old (each is labelled, by its label or as a
negative), plus the labels of younger events; without it, the labels.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections import Counter
from dataclasses import dataclass, field

from streamops.features import utc_datetime
from streamops.pipeline.retraining_spec import RetrainingSpec

_MINUTE_MS = 60_000
#: Alert kinds after which the job weighs recent rows more (the spec's recent_weight).
DRIFT_KINDS = frozenset({"DATA_DRIFT", "CONCEPT_DRIFT"})


@dataclass(frozen=True)
class Trigger:
    """Why a job starts: its kind, a sentence, the alerts or the request behind it."""

    kind: str  # first_model, alert, labels, schedule, manual
    reason: str
    alert_ids: tuple[str, ...] = ()
    request_id: str | None = None
    after_drift: bool = False
    labels_known: int = 0  # when it was decided
    #: where the oldest window of its alerts began (event time): the job's validation and
    #: holdout are taken from the rows since (`split.split_by_time`); None: from all rows
    since_ms: int | None = None


@dataclass(frozen=True)
class Held:
    """An alert's job held until enough rows since its window are labelled (`Triggers.due`)."""

    alert_ids: tuple[str, ...]
    since_ms: int
    rows: int  # labelled rows since then
    needed: int

    def __str__(self) -> str:
        return (
            f"{len(self.alert_ids)} alert(s) wait for their job: {self.rows:,} of "
            f"{self.needed:,} labelled rows since {_iso(self.since_ms)}"
        )


@dataclass
class _Counts:
    """Features records per minute of event time, and the labels' event times."""

    features: Counter[int] = field(default_factory=Counter)
    labels: list[int] = field(default_factory=list)
    newest_ms: int | None = None


class Triggers:
    """The retraining policy of one pipeline, fed with what the service reads."""

    def __init__(
        self,
        spec: RetrainingSpec,
        delay_ms: int,
        negative_after_delay: bool,
        judged_rows: int = 0,
    ) -> None:
        self.spec = spec
        self.delay_ms = delay_ms
        self.negative_after_delay = negative_after_delay
        #: labelled rows since an alert's window its job waits for (see `due`)
        self.judged_rows = judged_rows
        #: the alerts' job `due` holds now for want of rows, if any
        self.held: Held | None = None
        self.has_champion = False
        self.paused = False
        self._counts = _Counts()
        #: the champion's version (`alert`: an alert about it is asked again as it grows)
        self.champion_version: int | None = None
        self._alerts: dict[str, str] = {}  # open alert id -> kind, waiting for a job
        #: alert id -> where the oldest of its windows read began (event time; after a
        #: restart only the latest, which the compacted alerts topic keeps)
        self._windows: dict[str, int] = {}
        #: alert id -> the cut-off (event time) of the latest job that took it; inf: for good
        self._answered: dict[str, float] = {}
        #: alert id -> its OPEN records: the first's and the latest's event time, and the
        #: version the latest is about
        self._asked: dict[str, tuple[int, int, int | None]] = {}
        self._requests: list[str] = []  # manual requests, oldest first
        self._served: set[str] = set()  # requests a job has answered
        self._last_job_ms: int | None = None
        self._labels_at_last_job = 0

    # -- what the service reads ---------------------------------------------------------

    def features_record(self, event_time_ms: int) -> None:
        self._counts.features[event_time_ms // _MINUTE_MS] += 1
        newest = self._counts.newest_ms
        if newest is None or event_time_ms > newest:
            self._counts.newest_ms = event_time_ms

    def label(self, event_time_ms: int) -> None:
        insort(self._counts.labels, event_time_ms)

    def alert(
        self,
        alert_id: str,
        kind: str,
        state: str,
        at_ms: int,
        version: int | None = None,
        window_start_ms: int | None = None,
    ) -> None:
        """An alert's record (``at_ms``: the event time it was emitted at; ``version``: the
        model version it is about; ``window_start_ms``: where the window it was computed on
        began). An OPEN one of the listed kinds waits for a job, unless
        a job took it already; a RESOLVED one goes (an ACKNOWLEDGED one is training's own
        answer, counted when its job started). Monitoring emits an open alert OPEN again
        when it grows (more features drifted, the metric a whole ``max_drop`` further
        down): emitted after the latest job for it and about the champion now serving (the
        one that job kept, or the one it promoted), that is a new question."""
        if state == "RESOLVED":
            self._alerts.pop(alert_id, None)
            return
        if state != "OPEN" or kind not in self.spec.on_alert:
            return
        first = self._asked.get(alert_id, (at_ms, at_ms, None))[0]
        self._asked[alert_id] = (min(first, at_ms), at_ms, version)
        if window_start_ms is not None:
            self._windows[alert_id] = min(
                self._windows.get(alert_id, window_start_ms), window_start_ms
            )
        if self._waits(alert_id):
            self._alerts[alert_id] = kind

    def _waits(self, alert_id: str) -> bool:
        """Whether ``alert_id`` is a question: no job took it, or it was emitted OPEN again
        since the latest job that took it (after that job's cut-off, and after its first
        OPEN: a job that started before the features of the alert's window were read took
        it all the same)."""
        taken = self._answered.get(alert_id)
        if taken is None:
            return True
        first, latest, _ = self._asked.get(alert_id, (0, 0, None))
        return latest > max(taken, first)

    def _asks(self, alert_id: str) -> bool:
        """Whether the waiting ``alert_id`` asks for a job now: a first question always; one
        asked again only about the champion (the champion is known once the log is read:
        the records may come before it)."""
        if alert_id not in self._answered:
            return True
        return self._asked[alert_id][2] == self.champion_version

    def _taken(self, alert_ids: tuple[str, ...], cutoff_ms: float) -> None:
        for alert_id in alert_ids:
            self._answered[alert_id] = max(self._answered.get(alert_id, cutoff_ms), cutoff_ms)
            if not self._waits(alert_id):
                self._alerts.pop(alert_id, None)

    def request(self, request_id: str) -> None:
        if request_id not in self._requests and request_id not in self._served:
            self._requests.append(request_id)

    def ran(
        self, alert_ids: tuple[str, ...], request_id: str | None, at_ms: int | None, labels: int
    ) -> None:
        """A job ran before (read back from ``{p}.runs`` at start-up): what it answered is
        answered, and the cooldown and label counts go from its cut-off ``at_ms``."""
        self._taken(alert_ids, math.inf if at_ms is None else at_ms)
        if request_id is not None:
            self._served.add(request_id)
            if request_id in self._requests:
                self._requests.remove(request_id)
        if at_ms is not None and (self._last_job_ms is None or at_ms >= self._last_job_ms):
            self._last_job_ms, self._labels_at_last_job = at_ms, labels

    # -- deciding -----------------------------------------------------------------------

    @property
    def now_ms(self) -> int | None:
        """The newest event time read (features records)."""
        return self._counts.newest_ms

    def labels_known(self, since_ms: int = 0) -> int:
        """How many rows a dataset built now would have labelled (see the module doc), of
        the events at or after ``since_ms`` (whole minutes after it: a lower bound)."""
        labels = self._counts.labels
        now = self._counts.newest_ms
        if now is None:
            return 0
        # a label of an event whose features record is not written yet labels no row
        # (labels may be read ahead of a features service catching up)
        until = bisect_right(labels, now)
        if not self.negative_after_delay:
            return until - bisect_left(labels, since_ms)
        first = -(-since_ms // _MINUTE_MS)
        matured_before = (now - self.delay_ms) // _MINUTE_MS  # whole minutes: a lower bound
        matured = sum(
            n for minute, n in self._counts.features.items() if first <= minute < matured_before
        )
        younger_from = max(matured_before * _MINUTE_MS, since_ms)
        return matured + max(until - bisect_left(labels, younger_from), 0)

    def due(self) -> Trigger | None:
        """The job to start now, if any (manual requests first); `held` says which alerts'
        job waits for rows."""
        self.held = None
        known = self.labels_known()
        if self._requests:
            request = self._requests[0]
            return Trigger("manual", f"request {request}", request_id=request, labels_known=known)
        now = self.now_ms
        if self.paused or now is None or self._cooling(now):
            return None
        if not self.has_champion:
            if known >= self.spec.min_labels:
                reason = f"no champion yet and {known:,} labels known"
                return Trigger("first_model", reason, labels_known=known)
            return None
        asking = {a: k for a, k in self._alerts.items() if self._asks(a)}
        starts = [self._windows[a] for a in asking if a in self._windows]
        since_ms = min(starts) if starts else None
        # the job is judged on the rows since the alerts' windows: it waits for enough of
        # them (a holdout of a few hundred rows may hold no positive at all)
        # (since_ms is None without asking alerts, or when none of them has a window)
        if since_ms is not None and (rows := self.labels_known(since_ms)) < self.judged_rows:
            self.held = Held(tuple(sorted(asking)), since_ms, rows, self.judged_rows)
        elif asking:
            ids = tuple(sorted(asking))
            kinds = sorted(set(asking.values()))
            since = "" if since_ms is None else f", judged on the rows since {_iso(since_ms)}"
            return Trigger(
                "alert",
                f"{len(ids)} open {'/'.join(kinds)} alert(s){since}",
                alert_ids=ids,
                after_drift=bool(DRIFT_KINDS & set(kinds)),
                labels_known=known,
                since_ms=since_ms,
            )
        every = self.spec.every_labels
        new = known - self._labels_at_last_job
        if every is not None and new >= every:
            return Trigger("labels", f"{new:,} labels since the last job", labels_known=known)
        schedule, last = self.spec.schedule, self._last_job_ms
        if schedule and last is not None and now - last >= schedule.total_seconds() * 1000:
            reason = f"{schedule} of event time since the last job"
            return Trigger("schedule", reason, labels_known=known)
        return None

    def started(self, trigger: Trigger) -> None:
        """A job started for ``trigger``: what it answers is done, the cooldown begins."""
        if trigger.request_id is not None:
            self._requests.remove(trigger.request_id)
            self._served.add(trigger.request_id)
        now = self.now_ms
        self._taken(trigger.alert_ids, math.inf if now is None else now)
        self._last_job_ms = now
        self._labels_at_last_job = trigger.labels_known

    def _cooling(self, now_ms: int) -> bool:
        last = self._last_job_ms
        return last is not None and now_ms - last < self.spec.cooldown.total_seconds() * 1000


def _iso(ms: int) -> str:
    """An event time for a sentence: ISO 8601, UTC, to the second."""
    return utc_datetime(ms).isoformat(timespec="seconds")
