"""Delivery scenarios: YAML files that change the generated orders in phases.

The format is the fraud example's (`streamops_examples.fraud.scenarios`), with the
delivery world's effects::

    name: delivery-rush-rain
    phases:
      - name: evening-rush-in-the-rain
        start: 0.5            # a record index (integer) or a fraction of --count (0.5)
        length: 0.25          # records or a fraction; default: to the end
        covariate:            # what orders look like (the inputs)
          weather_mix: {rain: 0.5, storm: 0.15}   # the other kinds share the rest
          distance_factor: 1.5                    # customers order from farther away
          items_factor: 1.4                       # bigger orders
        concept:              # how long the same order takes (the label)
          courier_speed_factor: 0.65              # a slower courier fleet
          prep_minutes: 4                         # extra minutes in every kitchen
        quality:              # data-quality faults: share of records per (rule, field)
          null_rate: {distance_km: 0.1}

Phases may overlap: factors multiply, minutes and fault shares add up, the later
phase's weather mix wins. `resolve_segments` turns a scenario into `Effects` per range of
record indices.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from streamops_examples.delivery.world import WEATHER_SHARE

Share = Annotated[float, Field(ge=0.0, le=1.0)]
NullField = Literal["zone", "vehicle", "distance_km", "items"]
RangeField = Literal["distance_km", "items", "order_value"]
AllowedField = Literal["vehicle", "weather", "zone"]
#: The spec rule each kind of fault breaks, and the fields it can break (delivery.yaml).
FAULT_RULES: dict[str, str] = {
    "null_rate": "not_null",
    "out_of_range": "range",
    "unknown_value": "allowed",
}
FAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "null_rate": get_args(NullField),
    "out_of_range": get_args(RangeField),
    "unknown_value": get_args(AllowedField),
}


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names every bad field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QualityIncident(_Strict):
    """Shares of records that get one data-quality fault, per kind of fault and field."""

    null_rate: dict[NullField, Share] = Field(
        default_factory=dict, description="Field set to null (breaks not_null)."
    )
    out_of_range: dict[RangeField, Share] = Field(
        default_factory=dict, description="A value outside its range (breaks range)."
    )
    unknown_value: dict[AllowedField, Share] = Field(
        default_factory=dict, description="A value outside the allowed set (breaks allowed)."
    )

    @model_validator(mode="after")
    def _total(self) -> QualityIncident:
        total = sum(share for _, _, share in self.faults())
        if total > 1:
            raise ValueError(f"the fault shares add up to {total:g}, more than 1")
        return self

    def faults(self) -> list[tuple[str, str, float]]:
        """(rule, field, share) of every fault this incident injects."""
        return [
            (FAULT_RULES[kind], name, share)
            for kind in FAULT_RULES
            for name, share in getattr(self, kind).items()
        ]


class CovariateDrift(_Strict):
    """Changes in what orders look like; how long a given order takes stays the same."""

    weather_mix: dict[str, Share] | None = Field(
        None, description="New shares of these kinds of weather; the others share the rest."
    )
    distance_factor: float = Field(1.0, gt=0, description="Multiplies every distance.")
    items_factor: float = Field(1.0, gt=0, description="Multiplies the dishes per order.")

    @field_validator("weather_mix")
    @classmethod
    def _weather(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return value
        unknown = sorted(set(value) - set(WEATHER_SHARE))
        if unknown:
            raise ValueError(f"unknown weather {unknown}; known: {', '.join(WEATHER_SHARE)}")
        if sum(value.values()) > 1:
            raise ValueError(f"the shares add up to {sum(value.values()):g}, more than 1")
        return value


class ConceptDrift(_Strict):
    """Changes in how long the same order takes: what the label depends on."""

    courier_speed_factor: float = Field(
        1.0, gt=0, description="Multiplies every courier's speed (to the kitchen too)."
    )
    prep_minutes: float = Field(0.0, ge=-5, le=60, description="Added to every kitchen's time.")


class Phase(_Strict):
    """A range of records and what changes in it."""

    name: str | None = None
    start: int | float = Field(ge=0, description="Record index, or a fraction of the count.")
    length: int | float | None = Field(None, gt=0, description="Records, or a fraction.")
    covariate: CovariateDrift | None = None
    concept: ConceptDrift | None = None
    quality: QualityIncident | None = None

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


class Scenario(_Strict):
    """A named list of phases."""

    name: str
    description: str = ""
    phases: list[Phase] = Field(min_length=1)


def load_scenario(file: Path | str) -> Scenario:
    """Read and check a scenario file; `ScenarioError` names each bad field."""
    file = Path(file)
    try:
        data = yaml.safe_load(file.read_text())
    except OSError as exc:
        raise ScenarioError(f"{file}: cannot read the scenario: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{file}: not valid YAML: {exc}") from exc
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{file}: {'.'.join(str(k) for k in e['loc'] if k != '[key]') or '(top)'}: {e['msg']}"
            for e in exc.errors()
        ]
        raise ScenarioError(
            f"{len(problems)} problem(s) in scenario {file}:\n" + "\n".join(problems)
        ) from exc


@dataclass(frozen=True)
class Effects:
    """What applies to one record: the merged effects of every phase covering it."""

    weather_mix: dict[str, float] | None = None
    distance_factor: float = 1.0
    items_factor: float = 1.0
    courier_speed_factor: float = 1.0
    prep_minutes: float = 0.0
    faults: tuple[tuple[str, str, float], ...] = ()
    phases: tuple[str, ...] = ()


def phase_label(phase: Phase, index: int) -> str:
    """The phase's name, or ``phase-N`` (1-based) when it has none."""
    return phase.name or f"phase-{index + 1}"


def merge(phases: list[tuple[str, Phase]]) -> Effects:
    """The effects of ``phases`` (in file order) applied together."""
    mix: dict[str, float] | None = None
    distance = items = speed = 1.0
    minutes = 0.0
    faults: list[tuple[str, str, float]] = []
    for _, phase in phases:
        if phase.covariate is not None:
            mix = phase.covariate.weather_mix or mix
            distance *= phase.covariate.distance_factor
            items *= phase.covariate.items_factor
        if phase.concept is not None:
            speed *= phase.concept.courier_speed_factor
            minutes += phase.concept.prep_minutes
        if phase.quality is not None:
            faults.extend(phase.quality.faults())
    return Effects(
        weather_mix=mix,
        distance_factor=distance,
        items_factor=items,
        courier_speed_factor=speed,
        prep_minutes=minutes,
        faults=tuple(faults),
        phases=tuple(name for name, _ in phases),
    )


def resolve_segments(scenario: Scenario | None, count: int) -> list[tuple[int, int, Effects]]:
    """Consecutive [start, end) ranges covering 0..count, each with its merged effects."""
    if scenario is None or count == 0:
        return [(0, count, Effects())]
    spans = [
        (*phase.bounds(count), phase_label(phase, i), phase)
        for i, phase in enumerate(scenario.phases)
    ]
    cuts = sorted({0, count, *(s for s, _, _, _ in spans), *(e for _, e, _, _ in spans)})
    segments = []
    for lo, hi in pairwise(cuts):
        if lo >= hi:
            continue
        active = [(name, phase) for s, e, name, phase in spans if s <= lo and hi <= e]
        segments.append((lo, hi, merge(active)))
    return segments
