"""The Kafka side of the delivery example: generated orders to ``{p}.events.raw`` (PII
treated, Avro, keyed by restaurant id) and their delivery times to ``{p}.labels``.

Paced as `streamops_examples.produce_loop` describes: every order has a label, whose
label time is the order's time plus its delivery time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from streamops.contracts.types import Label
from streamops_examples.delivery.generator import DEFAULT_EVENTS_PER_SECOND, Order, generate
from streamops_examples.delivery.labels import delivery_label
from streamops_examples.delivery.scenarios import Scenario
from streamops_examples.fraud.clock import Pace, resolve_pace
from streamops_examples.produce_loop import PacedOptions, PacedProducer, PacedReport
from streamops_examples.scenario_segments import phase_label


@dataclass(frozen=True)
class DeliveryOptions(PacedOptions[Scenario]):
    """What orders to produce and how fast (see `PacedOptions`)."""

    def pace(self) -> Pace:
        """The resolved wall rate, event-time rate and time scale; with no rate at all, a
        city's orders come `DEFAULT_EVENTS_PER_SECOND` a second of event time."""
        event_time_rate = self.event_time_rate
        if event_time_rate is None and not self.rate:
            event_time_rate = DEFAULT_EVENTS_PER_SECOND
        return resolve_pace(self.rate, event_time_rate, self.time_scale)


@dataclass
class DeliveryReport(PacedReport):
    """What one run produced, for the summary and the exit code."""

    minutes_total: float = 0.0  # of the delivery times of every order

    @property
    def mean_minutes(self) -> float:
        """The mean delivery time of the orders produced."""
        return self.minutes_total / self.events if self.events else 0.0


class DeliveryProducer(PacedProducer[DeliveryOptions, Order, DeliveryReport]):
    """Writes generated orders and their delivery times to one pipeline's topics."""

    key_field = "restaurant_id"

    def _new_report(self) -> DeliveryReport:
        return DeliveryReport(self.events_topic, self.labels_topic)

    def _phases(self, options: DeliveryOptions) -> list[tuple[str, int, int]]:
        if options.scenario is None:
            return []
        return [
            (phase_label(p, i), *p.bounds(options.count))
            for i, p in enumerate(options.scenario.phases)
        ]

    def _generate(self, options: DeliveryOptions, start_ms: int, pace: Pace) -> Iterator[Order]:
        return generate(  # builds the city: before the clock starts
            options.count,
            seed=options.seed,
            scenario=options.scenario,
            start_ms=start_ms,
            events_per_second=pace.event_time_rate,
        )

    def _count_and_label(self, record: Order, event: dict[str, Any]) -> tuple[int, Label]:
        self._report.minutes_total += record.minutes
        return record.label_delay_ms, delivery_label(self.pipeline, record)
