"""What the examples' scenario files share: the error, the strict model base, a phase's
record range, reading a file, and cutting 0..count into segments of merged effects.

Each example's ``scenarios`` module adds its own effects (covariate, concept, quality) on
top of `PhaseSpan` and says how overlapping phases merge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import ClassVar, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names every bad field."""


class Strict(BaseModel):
    """A frozen model that rejects unknown fields, so that a typo in a file is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FaultShares(Strict):
    """Shares of records that get one data-quality fault: one field per kind of fault (a
    key of ``fault_rules``), each a share per event field; an example's QualityIncident."""

    #: The spec rule each kind of fault breaks.
    fault_rules: ClassVar[dict[str, str]]

    @model_validator(mode="after")
    def _total(self) -> FaultShares:
        total = sum(share for _, _, share in self.faults())
        if total > 1:
            raise ValueError(f"the fault shares add up to {total:g}, more than 1")
        return self

    def faults(self) -> list[tuple[str, str, float]]:
        """(rule, field, share) of every fault this incident injects."""
        return [
            (rule, name, share)
            for kind, rule in self.fault_rules.items()
            for name, share in getattr(self, kind).items()
        ]


class PhaseSpan(Strict):
    """A range of records; an example's ``Phase`` adds what changes in it."""

    name: str | None = None
    start: int | float = Field(ge=0, description="Record index, or a fraction of the count.")
    length: int | float | None = Field(None, gt=0, description="Records, or a fraction.")

    @field_validator("start", "length")
    @classmethod
    def _fraction(cls, value: int | float | None) -> int | float | None:
        if isinstance(value, float) and value > 1:
            raise ValueError(f"{value} is neither a fraction (0..1) nor an integer record index")
        return value

    def bounds(self, count: int) -> tuple[int, int]:
        """[start, end) record indices of this phase among ``count`` records."""
        start = round(self.start * count) if isinstance(self.start, float) else self.start
        if self.length is None:
            return min(start, count), count
        length = round(self.length * count) if isinstance(self.length, float) else self.length
        return min(start, count), min(start + length, count)


def phase_label(phase: PhaseSpan, index: int) -> str:
    """The phase's name, or ``phase-N`` (1-based) when it has none."""
    return phase.name or f"phase-{index + 1}"


M = TypeVar("M", bound=BaseModel)


def read_scenario(file: Path | str, model: type[M]) -> M:
    """Read ``file`` and check it as a ``model``; `ScenarioError` names each bad field."""
    file = Path(file)
    try:
        data = yaml.safe_load(file.read_text())
    except OSError as exc:
        raise ScenarioError(f"{file}: cannot read the scenario: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{file}: not valid YAML: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{file}: {'.'.join(str(k) for k in e['loc'] if k != '[key]') or '(top)'}: {e['msg']}"
            for e in exc.errors()
        ]
        raise ScenarioError(
            f"{len(problems)} problem(s) in scenario {file}:\n" + "\n".join(problems)
        ) from exc


P = TypeVar("P", bound=PhaseSpan)
E = TypeVar("E")


def cut_segments(
    phases: Sequence[P], count: int, merge: Callable[[list[tuple[str, P]]], E]
) -> list[tuple[int, int, E]]:
    """Consecutive [start, end) ranges covering 0..count, each with the ``merge`` of the
    phases (label, phase; in file order) covering it."""
    spans = [(*phase.bounds(count), phase_label(phase, i), phase) for i, phase in enumerate(phases)]
    cuts = sorted({0, count, *(s for s, _, _, _ in spans), *(e for _, e, _, _ in spans)})
    segments = []
    for lo, hi in pairwise(cuts):
        if lo >= hi:
            continue
        active = [(name, phase) for s, e, name, phase in spans if s <= lo and hi <= e]
        segments.append((lo, hi, merge(active)))
    return segments
