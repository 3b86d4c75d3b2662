"""Scenarios: YAML files that change the generated data in phases (drift, quality incidents).

A scenario is a list of phases; each phase covers a range of record indices and applies
any of three kinds of effects::

    name: quality-incident
    phases:
      - name: null-amounts
        start: 10000          # a record index (integer) or a fraction of --count (0.5)
        length: 4000          # records or a fraction; default: to the end
        quality:              # data-quality faults: share of records per (rule, field)
          null_rate: {amount: 0.10}
      - start: 0.5
        covariate: {amount_factor: 1.5, category_mix: {electronics: 0.2}, country_share: {PL: 0.1}}
        concept: {categories: [grocery], channels: [pos], foreign: false}

Phases may overlap: factors multiply, fault shares add up, other settings of the later
phase win. `resolve_segments` turns a scenario into `Effects` per range of indices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import Field, field_validator

from streamops_examples.fraud.world import ALL_COUNTRIES, CATEGORY_BY_NAME
from streamops_examples.scenario_segments import (
    FaultShares,
    PhaseSpan,
    Strict,
    cut_segments,
    read_scenario,
)

PatternName = Literal["card_testing", "amount_spike", "foreign", "night_high_risk", "rapid_burst"]
Share = Annotated[float, Field(ge=0.0, le=1.0)]

#: The spec rule each kind of quality fault breaks.
FAULT_RULES: dict[str, str] = {
    "null_rate": "not_null",
    "out_of_range": "range",
    "unknown_value": "allowed",
    "malformed": "regex",
    "too_long": "max_length",
}
NullField = Literal["customer_id", "merchant_id", "amount", "currency", "country", "channel"]
RangeField = Literal["amount"]
AllowedField = Literal["currency", "channel"]
RegexField = Literal["transaction_id", "card_id", "merchant_id", "country"]
LengthField = Literal["merchant_category"]
#: The fields each kind of fault can break (transaction_id and card_id cannot be null in
#: the Avro schema; a longer transaction_id would break its regex too).
FAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "null_rate": get_args(NullField),
    "out_of_range": get_args(RangeField),
    "unknown_value": get_args(AllowedField),
    "malformed": get_args(RegexField),
    "too_long": get_args(LengthField),
}


def _known_categories(names: list[str] | dict[str, float] | None) -> None:
    unknown = sorted(set(names or ()) - set(CATEGORY_BY_NAME))
    if unknown:
        known = ", ".join(sorted(CATEGORY_BY_NAME))
        raise ValueError(f"unknown merchant categories {unknown}; known: {known}")


class QualityIncident(FaultShares):
    """Shares of records that get one data-quality fault, per kind of fault and field."""

    fault_rules = FAULT_RULES

    null_rate: dict[NullField, Share] = Field(
        default_factory=dict, description="Field set to null (breaks not_null)."
    )
    out_of_range: dict[RangeField, Share] = Field(
        default_factory=dict, description="Amount <= 0 or above the maximum (breaks range)."
    )
    unknown_value: dict[AllowedField, Share] = Field(
        default_factory=dict, description="A value outside the allowed set (breaks allowed)."
    )
    malformed: dict[RegexField, Share] = Field(
        default_factory=dict, description="A badly formed id or code (breaks regex)."
    )
    too_long: dict[LengthField, Share] = Field(
        default_factory=dict, description="A value longer than allowed (breaks max_length)."
    )


class CovariateDrift(Strict):
    """Changes in what transactions look like (the inputs), not in what fraud looks like."""

    amount_factor: float = Field(1.0, gt=0, description="Multiplies every amount (inflation).")
    category_mix: dict[str, Share] | None = Field(
        None, description="New shares of these categories; the others share the rest."
    )
    country_share: dict[str, Share] = Field(
        default_factory=dict, description="Share of transactions at merchants in a country."
    )

    @field_validator("category_mix")
    @classmethod
    def _mix(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        _known_categories(value)
        if value is not None and sum(value.values()) > 1:
            raise ValueError(f"the shares add up to {sum(value.values()):g}, more than 1")
        return value

    @field_validator("country_share")
    @classmethod
    def _countries(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(ALL_COUNTRIES))
        if unknown:
            raise ValueError(f"unknown countries {unknown}; known: {', '.join(ALL_COUNTRIES)}")
        if sum(value.values()) > 1:
            raise ValueError(f"the shares add up to {sum(value.values()):g}, more than 1")
        return value


class ConceptDrift(Strict):
    """Changes in how fraud happens, i.e. in what the label depends on."""

    fraud_rate_factor: float = Field(1.0, ge=0, description="Multiplies the fraud rate.")
    patterns: dict[PatternName, Annotated[float, Field(ge=0)]] | None = Field(
        None, description="New relative weights of the fraud patterns."
    )
    categories: list[str] | None = Field(
        None, min_length=1, description="Fraud happens at merchants of these categories."
    )
    channels: list[Literal["pos", "web", "mobile", "atm"]] | None = Field(
        None, min_length=1, description="Fraud happens on these channels."
    )
    foreign: bool | None = Field(
        None, description="False: fraud stays in the home country; true: always abroad."
    )

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: list[str] | None) -> list[str] | None:
        _known_categories(value)
        return value

    @field_validator("patterns")
    @classmethod
    def _weights(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is not None and not sum(value.values()):
            raise ValueError("at least one pattern needs a weight above 0")
        return value


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

    amount_factor: float = 1.0
    category_mix: dict[str, float] | None = None
    country_share: dict[str, float] = field(default_factory=dict)
    concept: ConceptDrift = field(default_factory=ConceptDrift)
    faults: tuple[tuple[str, str, float], ...] = ()
    phases: tuple[str, ...] = ()


def merge(phases: list[tuple[str, Phase]]) -> Effects:
    """The effects of ``phases`` (in file order) applied together."""
    factor, mix, countries, faults = 1.0, None, {}, []
    concept: dict[str, object] = {}
    rate = 1.0
    for _, phase in phases:
        if phase.covariate is not None:
            factor *= phase.covariate.amount_factor
            mix = phase.covariate.category_mix or mix
            countries.update(phase.covariate.country_share)
        if phase.concept is not None:
            rate *= phase.concept.fraud_rate_factor
            concept.update(
                phase.concept.model_dump(exclude_none=True, exclude={"fraud_rate_factor"})
            )
        if phase.quality is not None:
            faults.extend(phase.quality.faults())
    return Effects(
        amount_factor=factor,
        category_mix=mix,
        country_share=countries,
        concept=ConceptDrift.model_validate({**concept, "fraud_rate_factor": rate}),
        faults=tuple(faults),
        phases=tuple(name for name, _ in phases),
    )


def resolve_segments(scenario: Scenario | None, count: int) -> list[tuple[int, int, Effects]]:
    """Consecutive [start, end) ranges covering 0..count, each with its merged effects."""
    if scenario is None or count == 0:
        return [(0, count, Effects())]
    return cut_segments(scenario.phases, count, merge)
