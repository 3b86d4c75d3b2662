"""An error stream fed through the monitoring owner itself (``LabelledJudge.feed``),
interval by interval, as the service feeds the labelled predictions it joined.

The owner keeps its detector pickled in its state between intervals and counts a
detection from ``drift.concept.min_labels`` on. A detection is a suspicion: CONCEPT_DRIFT
opens at the end of the first interval after it at which the error rate of the latest
``drift.performance.window`` labels is beyond the rate before the change by more than
``max_drop`` and its sampling noise (a burst of errors in ordinary traffic is a change
too). `owner_delay` gives the label at which that interval ends, so the owner's delay
can be set beside the bare detector's.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from streamops.pipeline import load_pipeline
from streamops.pipeline.drift_spec import ConceptDrift
from streamops.state import PartitionState
from streamops.state.memory import MemoryStore
from streamops_monitoring.judged import Judged
from streamops_monitoring.owner import Owner
from streamops_monitoring.reference import Reference, reference_of

REPO = Path(__file__).resolve().parents[3]
FRAUD = REPO / "deploy" / "pipelines" / "fraud.yaml"


def owner_with(concept: ConceptDrift) -> Owner:
    """The fraud spec's owner, its ``drift.concept`` replaced by ``concept``."""
    fraud = load_pipeline(FRAUD)
    assert fraud.spec.drift is not None
    drift = fraud.spec.drift.model_copy(update={"concept": concept})
    spec = fraud.spec.model_copy(update={"drift": drift})
    return Owner(dataclasses.replace(fraud, spec=spec), {}, "binary")


def champion() -> Reference:
    """A binary champion, version 1, with no feature profile (none is read here)."""
    return reference_of(
        {
            "model_name": "bench",
            "version": 1,
            "task": "BINARY_CLASSIFICATION",
            "decision_threshold": 0.5,
            "metrics": {},
            "feature_names": [],
            "reference_profile": {"record_count": 0, "features": [], "prediction": None},
        }
    )


def owner_delay(owner: Owner, errors: list[int], at: int, interval: int) -> int | None:
    """Labels from ``at`` to the end of the first interval at or after ``at`` whose
    feeding opens CONCEPT_DRIFT; None if none does. ``at`` is on an interval's start."""
    assert at % interval == 0
    state = PartitionState("owner", 0, MemoryStore(False))
    ref = champion()
    for start in range(0, len(errors), interval):
        # [known_at, version, role, score, predicted, label, event_time]: an error is a
        # wrong label; one chunk of outcomes per interval, as the owner holds them
        chunk = [
            [start + i, 1, "CHAMPION", 0.9, "1", "0" if e else "1", start + i]
            for i, e in enumerate(errors[start : start + interval])
        ]
        state.set(f"owner:o:{start}:0", chunk)
        judged = Judged()
        owner.labelled.feed(state, {"oc": 1}, start, ref, judged)
        opened = any(a["kind"] == "CONCEPT_DRIFT" and a["state"] == "OPEN" for a in judged.alerts)
        if opened and start >= at:
            return start + len(chunk) - at
    return None
