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
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import Field, field_validator

from streamops_examples.delivery.world import WEATHER_SHARE
from streamops_examples.scenario_segments import (
    FaultShares,
    PhaseSpan,
    Strict,
    cut_segments,
    read_scenario,
)

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


class QualityIncident(FaultShares):
    """Shares of records that get one data-quality fault, per kind of fault and field."""

    fault_rules = FAULT_RULES

    null_rate: dict[NullField, Share] = Field(
        default_factory=dict, description="Field set to null (breaks not_null)."
    )
    out_of_range: dict[RangeField, Share] = Field(
        default_factory=dict, description="A value outside its range (breaks range)."
    )
    unknown_value: dict[AllowedField, Share] = Field(
        default_factory=dict, description="A value outside the allowed set (breaks allowed)."
    )


class CovariateDrift(Strict):
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


class ConceptDrift(Strict):
    """Changes in how long the same order takes: what the label depends on."""

    courier_speed_factor: float = Field(
        1.0, gt=0, description="Multiplies every courier's speed (to the kitchen too)."
    )
    prep_minutes: float = Field(0.0, ge=-5, le=60, description="Added to every kitchen's time.")


class Phase(PhaseSpan):
    """A range of records and what changes in it."""

    covariate: CovariateDrift | None = None
    concept: ConceptDrift | None = None
    quality: QualityIncident | None = None


class Scenario(Strict):
    """A named list of phases."""

    name: str
    description: str = ""
    phases: list[Phase] = Field(min_length=1)


def load_scenario(file: Path | str) -> Scenario:
    """Read and check a scenario file; `ScenarioError` names each bad field."""
    return read_scenario(file, Scenario)


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
    return cut_segments(scenario.phases, count, merge)
