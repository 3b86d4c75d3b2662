"""Monitoring on a real broker, with the fraud generator's concept-drift scenario: the
inputs look alike, fraud changes tactics, and the champion's errors grow once the labels
come (every event is labelled ten minutes after it, in event time, interleaved with the
events as a live feed is)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from streamops_examples.fraud.generator import generate
from tests.integration.monitoring.test_drift_live import PER_SECOND, ms, scenario
from tests.support.monitoring import monitored_pipeline, produce_events_and_labels, wait_for

STABLE, CONCEPT = 60_000, 40_000
REFERENCE = range(12_000, 42_000)
LABEL_DELAY_MS = 10 * 60_000


def test_concept_drift_opens_once_the_labels_arrive(
    tmp_path: Path, kafka: str, schema_registry: str
) -> None:
    generated = generate(
        STABLE + CONCEPT,
        seed=13,
        scenario=scenario("concept-drift.yaml", STABLE),
        events_per_second=PER_SECOND,
    )
    first = list(itertools.islice(generated, REFERENCE.stop))
    with monitored_pipeline(tmp_path, kafka, schema_registry, "con", first, REFERENCE) as m:
        rest = list(generated)
        onset_ms = ms(rest[STABLE - REFERENCE.stop].event["event_time"])
        produce_events_and_labels(kafka, schema_registry, m.pipeline, rest, LABEL_DELAY_MS)

        def concept() -> list[dict[str, Any]]:
            return [a for a in m.alerts() if a["kind"] == "CONCEPT_DRIFT"]

        [opened, *_] = wait_for("a CONCEPT_DRIFT alert", concept, timeout_s=300)
        assert opened["state"] == "OPEN" and opened["model_version"] == 1
        # the labels of the stable traffic changed nothing
        for a in m.alerts():
            assert a["kind"] == "DATA_DRIFT" or ms(a["window"]["end"]) > onset_ms, a["message"]
        assert opened["details"]["detector"] == "adwin"
        assert float(opened["value"]) > float(opened["details"]["baseline_error_rate"])
