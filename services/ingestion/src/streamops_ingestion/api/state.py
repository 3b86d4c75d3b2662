"""What the HTTP API serves: its pipelines (ready or starting), producer, settings, metrics."""

from __future__ import annotations

from dataclasses import dataclass, field

from streamops_ingestion.metrics import IngestionMetrics
from streamops_ingestion.publish.producer import EventProducer
from streamops_ingestion.settings import IngestionSettings
from streamops_ingestion.target import IngestTarget


@dataclass
class Ingestion:
    """The service's live state.

    ``targets`` maps every configured pipeline to its target, or to None until its topics
    are ensured and its schema is registered (the start-up thread fills it in);
    ``waiting_for`` says, per pipeline, what start-up is stuck on.
    """

    producer: EventProducer
    settings: IngestionSettings
    metrics: IngestionMetrics = field(default_factory=IngestionMetrics)
    targets: dict[str, IngestTarget | None] = field(default_factory=dict)
    waiting_for: dict[str, str] = field(default_factory=dict)

    def not_ready(self) -> list[str]:
        """Why the service cannot take events now; empty when it can."""
        reasons = [
            f"{name}: {self.waiting_for.get(name, 'topics and schema not set up yet')}"
            for name, target in self.targets.items()
            if target is None
        ]
        if not self.producer.connected():
            reasons.append("kafka: no broker reachable")
        return reasons
