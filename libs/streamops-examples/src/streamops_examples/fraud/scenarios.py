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
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from streamops_examples.fraud.world import ALL_COUNTRIES, CATEGORY_BY_NAME

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


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names every bad field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_categories(names: list[str] | dict[str, float] | None) -> None:
    unknown = sorted(set(names or ()) - set(CATEGORY_BY_NAME))
    if unknown:
        known = ", ".join(sorted(CATEGORY_BY_NAME))
        raise ValueError(f"unknown merchant categories {unknown}; known: {known}")


class QualityIncident(_Strict):
    """Shares of records that get one data-quality fault, per kind of fault and field."""

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

    @model_validator(mode="after")
    def _total(self) -> QualityIncident:
        total = sum(share for _, _, share in self.faults())
        if total > 1:
            raise ValueError(f"the fault shares add up to {total:g}, more than 1")
        return self

    def faults(self) -> list[tuple[str, str, float]]:
        """(rule, field, share) of every fault this incident injects."""
        return [
            (rule, name, share)
            for kind, rule in FAULT_RULES.items()
            for name, share in getattr(self, kind).items()
        ]


class CovariateDrift(_Strict):
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


class ConceptDrift(_Strict):
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

    amount_factor: float = 1.0
    category_mix: dict[str, float] | None = None
    country_share: dict[str, float] = field(default_factory=dict)
    concept: ConceptDrift = field(default_factory=ConceptDrift)
    faults: tuple[tuple[str, str, float], ...] = ()
    phases: tuple[str, ...] = ()


def phase_label(phase: Phase, index: int) -> str:
    """The phase's name, or ``phase-N`` (1-based) when it has none."""
    return phase.name or f"phase-{index + 1}"


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
