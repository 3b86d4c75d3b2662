"""What `ensure_topics` found and did, as data and as text."""

from __future__ import annotations

from dataclasses import dataclass

#: `Drift.key` for a partition count difference (not a topic config key).
PARTITIONS = "partitions"
#: `Drift.key` for a replication factor difference (not a topic config key).
REPLICATION_FACTOR = "replication.factor"


@dataclass(frozen=True)
class Drift:
    """One setting of an existing topic that differs from its declaration.

    ``key`` is a topic config key, or `PARTITIONS` / `REPLICATION_FACTOR`. ``actual`` is
    None when the broker does not report the key at all. ``note`` says why the drift
    cannot be fixed automatically; it is empty when ``apply=True`` would fix it.
    """

    topic: str
    key: str
    expected: str
    actual: str | None
    note: str = ""

    @property
    def fixable(self) -> bool:
        """Whether `ensure_topics(..., apply=True)` can bring the topic to its declaration."""
        return not self.note

    def describe(self) -> str:
        """One line: ``topic  key: expected X, actual Y (note)``."""
        actual = "<not set>" if self.actual is None else repr(self.actual)
        line = f"{self.topic}  {self.key}: expected {self.expected!r}, actual {actual}"
        return f"{line} ({self.note})" if self.note else line

    def describe_fix(self) -> str:
        """One line for drift that was fixed: ``topic  key: 'old' -> 'new'``."""
        actual = "<not set>" if self.actual is None else repr(self.actual)
        return f"{self.topic}  {self.key}: {actual} -> {self.expected!r}"


@dataclass(frozen=True)
class EnsureReport:
    """The outcome of one `ensure_topics` call.

    ``created``: topics that did not exist and were created as declared.
    ``unchanged``: existing topics that match their declaration.
    ``fixed``: drift that ``apply=True`` corrected.
    ``drifted``: drift that remains (not applied, or not fixable).
    """

    created: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    fixed: tuple[Drift, ...] = ()
    drifted: tuple[Drift, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every declared topic now exists as declared."""
        return not self.drifted

    @property
    def drifted_topics(self) -> tuple[str, ...]:
        """Names of the topics with remaining drift, each once, in report order."""
        return tuple(dict.fromkeys(d.topic for d in self.drifted))

    def render(self) -> str:
        """A readable multi-line summary, one line per topic or drift, then a verdict."""
        lines = [f"created    {name}" for name in self.created]
        lines += [f"unchanged  {name}" for name in self.unchanged]
        lines += [f"fixed      {d.describe_fix()}" for d in self.fixed]
        lines += [f"drifted    {d.describe()}" for d in self.drifted]
        fixed_topics = len({d.topic for d in self.fixed} - set(self.drifted_topics))
        every = {*self.created, *self.unchanged, *(d.topic for d in self.fixed + self.drifted)}
        summary = (
            f"{len(every)} topics: {len(self.created)} created, {len(self.unchanged)} unchanged, "
            f"{fixed_topics} fixed, {len(self.drifted_topics)} drifted"
        )
        lines.append("")
        lines.append(summary)
        if self.drifted and any(d.fixable for d in self.drifted):
            lines.append("run again with --apply (apply=True) to fix the fixable drift")
        return "\n".join(lines)
