"""The Kafka side of the fraud example: generated transactions to ``{p}.events.raw``
(PII treated, Avro, keyed by card id) and their chargebacks to ``{p}.labels``.

Paced as `streamops_examples.produce_loop` describes: a chargeback's label time is its
transaction's time plus its delay; transactions that are not fraud have no label.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from streamops.contracts.types import Label
from streamops_examples.fraud.clock import Pace
from streamops_examples.fraud.generator import Generated, generate
from streamops_examples.fraud.labels import chargeback_label
from streamops_examples.fraud.scenarios import Scenario
from streamops_examples.produce_loop import PacedOptions, PacedProducer, PacedReport
from streamops_examples.scenario_segments import phase_label


@dataclass(frozen=True)
class ProduceOptions(PacedOptions[Scenario]):
    """What transactions to produce and how fast (see `PacedOptions`); chargeback delays
    multiplied by ``label_delay_scale`` (see `generate`)."""

    label_delay_scale: float = 1.0


@dataclass
class ProduceReport(PacedReport):
    """What one run produced, for the summary and the exit code."""

    fraud: int = 0


class FraudProducer(PacedProducer[ProduceOptions, Generated, ProduceReport]):
    """Writes generated transactions and their chargebacks to one pipeline's topics."""

    key_field = "card_id"

    def _new_report(self) -> ProduceReport:
        return ProduceReport(self.events_topic, self.labels_topic)

    def _phases(self, options: ProduceOptions) -> list[tuple[str, int, int]]:
        if options.scenario is None:
            return []
        return [
            (phase_label(p, i), *p.bounds(options.count))
            for i, p in enumerate(options.scenario.phases)
        ]

    def _generate(self, options: ProduceOptions, start_ms: int, pace: Pace) -> Iterator[Generated]:
        return generate(
            options.count,
            seed=options.seed,
            scenario=options.scenario,
            start_ms=start_ms,
            events_per_second=pace.event_time_rate,
            label_delay_scale=options.label_delay_scale,
        )

    def _count_and_label(
        self, record: Generated, event: dict[str, Any]
    ) -> tuple[int, Label] | None:
        delay_ms = record.label_delay_ms
        if not record.is_fraud or delay_ms is None:
            return None
        self._report.fraud += 1
        return delay_ms, chargeback_label(self.pipeline, event, delay_ms)
