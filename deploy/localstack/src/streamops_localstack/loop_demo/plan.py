"""What `make demo` plays: the compressed fraud pipeline, the stream and its drift."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from streamops_examples.fraud.compressed import (
    FIRST_MODEL_LABELS,
    LABEL_DELAY_SCALE,
    write_compressed,
)
from streamops_examples.fraud.produce import ProduceOptions
from streamops_examples.fraud.scenarios import Scenario, load_scenario
from streamops_localstack.settings import DEPLOY_DIR

FRAUD_SPEC = DEPLOY_DIR / "pipelines" / "fraud.yaml"
CONCEPT_DRIFT = DEPLOY_DIR / "pipelines" / "scenarios" / "concept-drift.yaml"
_HOUR_MS = 3_600_000
_DAY_MS = 24 * _HOUR_MS


@dataclass(frozen=True)
class DemoPlan:
    """The demo's pipeline and stream, in event time, and how fast the clock runs.

    Three transactions a second of event time; the first model is trained once 15,000 of
    them are labelled (about 1.5 h in), the fraudsters change tactics after ``steady_h``
    hours and keep the new ones for ``drifted_h`` hours. At ``time_scale`` 360 an hour of
    event time takes 10 s: the 13 hours, 140,400 transactions, about 2 min 10 s. More
    transactions a second (``per_second``) keep the hours and the first model's (its
    labels scale alike): the same loop on a denser stream.
    """

    name: str = "fraud_demo"
    seed: int = 21
    per_second: float = 3.0  #: transactions per second of event time
    steady_h: float = 5.0
    drifted_h: float = 8.0
    time_scale: float = 360.0

    @property
    def count(self) -> int:
        return round((self.steady_h + self.drifted_h) * 3600 * self.per_second)

    @property
    def onset(self) -> int:
        """Index of the first transaction of the new tactics."""
        return round(self.steady_h * 3600 * self.per_second)

    @property
    def span_ms(self) -> int:
        return round((self.steady_h + self.drifted_h) * _HOUR_MS)

    def scenario(self) -> Scenario:
        """concept-drift.yaml's phase, from `onset` to the end."""
        phase = load_scenario(CONCEPT_DRIFT).phases[0]
        return Scenario(
            name="concept-drift", phases=[phase.model_copy(update={"start": self.onset})]
        )

    def start_ms(self, now_ms: int | None = None) -> int:
        """The event time of the first transaction: the last midnight (UTC) from which the
        whole stream lies in the past. Always midnight, whenever the demo runs: the traffic
        of the generator's world changes with the hour of day, and the first model and the
        reference it brings are fitted on the first hours."""
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        return (now_ms - self.span_ms) // _DAY_MS * _DAY_MS

    def options(self, now_ms: int | None = None) -> ProduceOptions:
        """The producer's options (`start_ms` from ``now_ms``, default now)."""
        return ProduceOptions(
            count=self.count,
            seed=self.seed,
            event_time_rate=self.per_second,
            time_scale=self.time_scale,
            scenario=self.scenario(),
            start_ms=self.start_ms(now_ms),
            label_delay_scale=LABEL_DELAY_SCALE,
        )

    def write_spec(self, directory: Path) -> Path:
        """The compressed copy of fraud.yaml under this plan's name, in ``directory``."""
        first = round(FIRST_MODEL_LABELS * self.per_second / DemoPlan.per_second)
        return write_compressed(FRAUD_SPEC, directory / f"{self.name}.yaml", self.name, first)
