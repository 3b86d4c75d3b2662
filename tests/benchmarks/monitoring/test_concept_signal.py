"""What the fraud loop's concept drift does to the first model's figures, as monitoring
sees them: the error rate the concept detector watches, the PR-AUC the labels give, and
the PR-AUC the model's own scores promise (the estimate before labels, NannyML's CBPE).

The loop of tests/loop/test_closed_loop.py (features, training, serving, monitoring as
processes; the compressed fraud pipeline, seed ``BENCH_CONCEPT_SEED``, 21) with retraining
on alerts turned off, so that the first model stays the champion: 3 h of ordinary
transactions (the first model is trained on them), 2 h more, then the concept-drift
scenario's 4 h in quarters. After each part, once monitoring's labelled intervals stop
moving (`streamops_monitoring_event_time_seconds{what="labels"}`), the first model's
rolling figures over its latest 10,000 labels, and the alerts opened so far (a
CONCEPT_DRIFT opened by the scores' broken promise says so in the service's log). The
scenario as it is; ``BENCH_CONCEPT_WAVES`` ("1.0") lists fraud-rate factors to play
during the drift, a loop each (e.g. "1.0,1.5": a fraud wave on top of the new tactics).
About 2.5 minutes a wave (02:56 UTC).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from streamops_examples.fraud.compressed import ON_ALERTS_ONLY
from streamops_examples.fraud.generator import Generated, generate
from tests.integration.monitoring.test_drift_live import scenario
from tests.loop.test_closed_loop import (
    DRIFTED,
    FIRST,
    MODEL,
    PER_SECOND,
    SERVICES,
    STABLE,
    TIMEOUT_S,
    _champion,
    _feed,
)
from tests.support.loop import Loop, running, wait
from tests.support.pipelines import private_pipeline

SEED = int(os.environ.get("BENCH_CONCEPT_SEED", "21"))
WAVES = [float(w) for w in os.environ.get("BENCH_CONCEPT_WAVES", "1.0").split(",")]
#: the retraining policy of the loop, and the same without jobs started by alerts
ON_ALERT = "on_alert: [DATA_DRIFT, CONCEPT_DRIFT, MODEL_PERFORMANCE]"
#: the table's figures of version 1 over its latest labels: (metric, source); "promised":
#: what its scores promise on those same predictions (the realised figure plus the gap of
#: `streamops_monitoring_estimate_gap`, which is what the CONCEPT_DRIFT check compares)
COLUMNS = (
    ("error_rate", "realised"),
    ("pr_auc", "realised"),
    ("pr_auc", "promised"),
    ("recall", "realised"),
    ("precision", "realised"),
)


def _transactions(wave: float) -> list[Generated]:
    drift = scenario("concept-drift.yaml", FIRST + STABLE)
    [phase] = drift.phases
    assert phase.concept is not None
    concept = phase.concept.model_copy(update={"fraud_rate_factor": wave})
    drift = drift.model_copy(update={"phases": [phase.model_copy(update={"concept": concept})]})
    count = FIRST + STABLE + DRIFTED
    return list(generate(count, seed=SEED, scenario=drift, events_per_second=PER_SECOND))


Start = Callable[[float], AbstractContextManager[Loop]]


@pytest.fixture
def loops(tmp_path: Path, kafka: str, schema_registry: str) -> Iterator[Start]:
    """A loop on a private pipeline of its own per wave, retraining on alerts off."""

    def start(wave: float) -> AbstractContextManager[Loop]:
        directory = tmp_path / f"wave-{wave}"
        directory.mkdir()
        pipeline = private_pipeline(
            directory, "concept", {**ON_ALERTS_ONLY, ON_ALERT: "on_alert: []"}
        )
        return running(directory, kafka, schema_registry, pipeline, SERVICES)

    yield start


def _settled(loop: Loop, quiet_s: float = 15.0) -> None:
    """Wait until monitoring's labelled intervals have not moved for ``quiet_s``."""
    last, since = None, time.monotonic()
    deadline = since + TIMEOUT_S
    while time.monotonic() < deadline:
        found = re.search(
            r'event_time_seconds\{[^}]*what="labels"[^}]*\} (\S+)', loop.metrics("monitoring")
        )
        now = found.group(1) if found else None
        if now != last:
            last, since = now, time.monotonic()
        elif now is not None and time.monotonic() - since >= quiet_s:
            return
        time.sleep(1)
    raise AssertionError(f"monitoring's labelled intervals never settled\n{loop.diagnosis()}")


def _figures(loop: Loop) -> dict[tuple[str, str], float]:
    """Version 1's rolling figures: (metric, realised|estimated|promised) -> value."""
    text = loop.metrics("monitoring")
    found = re.findall(
        r'streamops_monitoring_model_metric\{metric="(\w+)",model_version="1",'
        r'pipeline="[^"]*",source="(\w+)"\} (\S+)',
        text,
    )
    figures = {(metric, source): float(value) for metric, source, value in found}
    gaps = re.findall(
        r'streamops_monitoring_estimate_gap\{metric="(\w+)",model_version="1",'
        r'pipeline="[^"]*"\} (\S+)',
        text,
    )
    for metric, gap in gaps:
        if (metric, "realised") in figures:
            figures[(metric, "promised")] = figures[(metric, "realised")] + float(gap)
    return figures


def test_what_the_concept_drift_does_to_the_first_model(loops: Start) -> None:
    rows = []
    for wave in WAVES:
        transactions = _transactions(wave)
        fraud = [
            sum(g.is_fraud for g in part) / len(part)
            for part in (transactions[: FIRST + STABLE], transactions[FIRST + STABLE :])
        ]
        with loops(wave) as loop:
            _feed(loop, transactions[:FIRST])
            wait("the first champion", lambda: _champion(loop, 1), loop, TIMEOUT_S)
            parts = [("before the drift", FIRST, FIRST + STABLE)]
            quarter = DRIFTED // 4
            start = FIRST + STABLE
            parts += [
                (f"drift, hour {k + 1}", start + k * quarter, start + (k + 1) * quarter)
                for k in range(4)
            ]
            for name, a, b in parts:
                _feed(loop, transactions[a:b])
                _settled(loop)
                f = _figures(loop)
                opened = sorted({a["kind"] for a in loop.alerts() if a["state"] == "OPEN"})
                rows.append((wave, name, f, opened))
            model = loop.model(MODEL)
            assert model is not None and model["champion"] == 1  # nothing retrained
        print(
            f"\nfraud wave {wave}: fraud rate {fraud[0]:.4f} before the drift, {fraud[1]:.4f} in it"
        )
    print(
        "\n| wave | after | error rate | PR-AUC | PR-AUC the scores promise | recall "
        "| precision | alerts opened so far |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for wave, name, f, opened in rows:
        cells = " | ".join(_shown(f.get(column)) for column in COLUMNS)
        print(f"| {wave} | {name} | {cells} | {', '.join(opened) or 'none'} |")
    assert all(f for _, _, f, _ in rows), "monitoring published no figures for version 1"


def _shown(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"
