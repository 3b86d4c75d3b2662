"""`make demo`'s pieces that need no broker: the compressed spec, the plan, the rolling
metric and its recovery, the two clocks of the timeline, the report."""

from __future__ import annotations

import datetime
from itertools import islice
from pathlib import Path

import pytest

from streamops.contracts.types import Deployment, TrainingRun
from streamops.pipeline import load_pipeline
from streamops_examples.fraud.compressed import COMPRESSED, LABEL_DELAY_SCALE, compress
from streamops_examples.fraud.generator import LABEL_DELAY_MAX_MS, generate
from streamops_localstack.loop_demo.plan import FRAUD_SPEC, DemoPlan
from streamops_localstack.loop_demo.play import answered_alerts
from streamops_localstack.loop_demo.read import Played
from streamops_localstack.loop_demo.report import Scrape, render_report
from streamops_localstack.loop_demo.scores import Served, recovery, rolling
from streamops_localstack.loop_demo.timeline import Clocks, milestones
from tests.unit.contracts.examples import DEPLOYMENT, TRAINING_RUN

UTC = datetime.UTC


def test_the_compressed_spec_loads_and_has_every_change(tmp_path: Path) -> None:
    spec = DemoPlan(name="fraud_demo").write_spec(tmp_path)
    pipeline = load_pipeline(spec)  # checked like any spec: the schema path resolves
    assert pipeline.name == "fraud_demo"
    text = spec.read_text()
    assert all(new in text for new in COMPRESSED.values())
    labels = pipeline.spec.labels
    assert labels is not None and labels.expected_delay.total_seconds() == 600
    # retrained every 2 h of event time besides the alerts, not every so many labels
    retraining = pipeline.spec.retraining
    assert retraining is not None and retraining.every_labels is None
    assert retraining.schedule is not None and retraining.schedule.total_seconds() == 7200


def test_the_loops_answer_is_a_promotion_of_a_retrain_on_alerts_not_a_periodic_one() -> None:
    def run(version: int, kind: str) -> TrainingRun:
        trigger = {**TRAINING_RUN["trigger"], "kind": kind}
        return {**TRAINING_RUN, "model_version": version, "trigger": trigger}  # type: ignore[typeddict-item]

    def promoted(version: int) -> Deployment:
        return {**DEPLOYMENT, "version": version}

    runs = [run(2, "SCHEDULE"), run(3, "ALERT"), run(4, "LABEL_VOLUME"), run(5, "ALERT")]
    promotions = [promoted(2), promoted(3), promoted(4)]  # v5: rejected, never promoted
    assert [d["version"] for d in answered_alerts(promotions, runs)] == [3]
    assert answered_alerts([promoted(2)], runs) == []


def test_a_fraud_yaml_without_a_compressed_line_is_refused() -> None:
    text = FRAUD_SPEC.read_text().replace("  cooldown: 30m", "  cooldown: 45m")
    with pytest.raises(ValueError, match="cooldown: 30m"):
        compress(text, "x", FRAUD_SPEC.parent)


def test_chargeback_delays_are_scaled_with_the_label_delay() -> None:
    def delays(scale: float) -> list[int]:
        rows = generate(20_000, seed=3, events_per_second=3.0, label_delay_scale=scale)
        return [g.label_delay_ms for g in rows if g.label_delay_ms is not None]

    full, scaled = delays(1.0), delays(LABEL_DELAY_SCALE)
    assert len(full) == len(scaled) > 100
    assert all(
        s == int(f * LABEL_DELAY_SCALE) or abs(s - f * LABEL_DELAY_SCALE) <= 1
        for f, s in zip(full, scaled, strict=True)
    )
    assert max(scaled) <= LABEL_DELAY_MAX_MS * LABEL_DELAY_SCALE
    with pytest.raises(ValueError, match="label_delay_scale"):
        list(islice(generate(1, seed=1, label_delay_scale=2.0), 1))


def test_the_plan_starts_at_the_last_midnight_it_can_and_drifts_at_its_onset() -> None:
    plan, day, hour = DemoPlan(), 86_400_000, 3_600_000
    assert plan.start_ms(now_ms=10 * day + 14 * hour) == 10 * day  # 13 h fit since midnight
    assert plan.start_ms(now_ms=10 * day + 12 * hour) == 9 * day  # they do not: the day before
    options = plan.options(now_ms=10 * day + 14 * hour)
    assert options.start_ms == 10 * day
    assert options.count == plan.count == 140_400 and plan.onset == 54_000
    assert options.scenario is not None and options.scenario.phases[0].bounds(plan.count) == (
        54_000,
        140_400,
    )


def _served(n: int, start_ms: int, version: int, separable: bool) -> list[Served]:
    """``n`` predictions one second apart, every 20th a fraud; scored perfectly, or not."""
    rows = []
    for i in range(n):
        fraud = i % 20 == 0
        score = (0.9 if fraud else 0.1) if separable else ((i * 7919) % 100) / 100
        rows.append(Served(start_ms + i * 1000, version, score, fraud))
    return rows


def test_the_metric_recovers_once_a_new_version_scores_well_again() -> None:
    before = _served(2000, 0, 1, separable=True)
    drifted = _served(2000, 2_000_000, 1, separable=False)
    after = _served(2000, 4_000_000, 2, separable=True)
    found = recovery(before + drifted + after, "pr_auc", 1000, 600_000, onset_ms=2_000_000)
    assert found.before == pytest.approx(1.0)
    assert found.recovered is not None and found.recovered.version == 2
    assert found.recovered.event_ms >= 4_000_000 + 900_000  # 900 of the last 1000 by v2
    assert found.recovered.known_ms == found.recovered.event_ms + 600_000
    assert min(p.value for p in found.points) < 0.5  # the drifted window


def test_no_recovery_while_the_new_version_does_no_better() -> None:
    before = _served(2000, 0, 1, separable=True)
    bad = _served(3000, 2_000_000, 2, separable=False)
    found = recovery(before + bad, "pr_auc", 1000, 600_000, onset_ms=2_000_000)
    assert found.before == pytest.approx(1.0) and found.recovered is None


def test_the_rolling_metric_refuses_a_metric_it_does_not_compute() -> None:
    with pytest.raises(ValueError, match="rmse"):
        rolling(_served(10, 0, 1, True), "rmse", 5, 0)


def test_the_clocks_agree_with_the_simulated_clock() -> None:
    clocks = Clocks(wall_start=1000.0, event_start_ms=0, time_scale=360.0)
    assert clocks.wall(3_600_000) == pytest.approx(10.0)  # an hour of event time: 10 s
    later = datetime.datetime.fromtimestamp(1010.0, UTC)
    assert clocks.event(later) == 3_600_000 and clocks.hours(3_600_000) == 1.0


def _alert(state: str, end_ms: int) -> dict[str, object]:
    return {
        "alert_id": "a1",
        "kind": "CONCEPT_DRIFT",
        "state": state,
        "statistic": "adwin",
        "value": 0.04,
        "threshold": 0.02,
        "model_version": 1,
        "window": {
            "start": datetime.datetime.fromtimestamp(0, UTC),
            "end": datetime.datetime.fromtimestamp(end_ms / 1000, UTC),
        },
    }


def test_the_timeline_and_the_report_tell_the_loop_in_order() -> None:
    clocks = Clocks(wall_start=0.0, event_start_ms=0, time_scale=360.0)
    at = datetime.datetime.fromtimestamp
    rows = (
        _served(2000, 0, 1, True)
        + _served(2000, 2_000_000, 1, False)
        + _served(2000, 4_000_000, 2, True)
    )
    promote = {
        "action": "PROMOTE",
        "version": 2,
        "actor": "training",
        "reason": "beat v1",
        "decided_at": at(11_000 / 1000, UTC),  # 11 s: 1.1 h of event time
    }
    run = {
        "trigger": {"kind": "ALERT"},
        "model_version": 2,
        "outcome": "PROMOTED",
        "reason": "gates passed",
        "started_at": at(9.0, UTC),
        "finished_at": at(10.5, UTC),
    }
    played = Played(
        rows,
        [(_alert("OPEN", 2_500_000), 8.0), (_alert("RESOLVED", 6_000_000), 20.0)],  # type: ignore[list-item]
        [run],  # type: ignore[list-item]
        [promote],  # type: ignore[list-item]
    )
    found = recovery(rows, "pr_auc", 1000, 600_000, onset_ms=2_000_000)
    steps = milestones(played, found, clocks, onset_ms=2_000_000)
    assert [s.what for s in steps] == [
        "drift injected",
        "CONCEPT_DRIFT opened",
        "training started",
        "training finished",
        "promoted v2",
        "recovered",
        "CONCEPT_DRIFT resolved",
    ]
    page = render_report(
        "demo",
        ["the loop closed"],
        steps,
        found,
        played,
        [Scrape(5.0, 0.2, 1, 0.05)],
        clocks,
        2_000_000,
    )
    assert page.count("<svg") == 3 and "promoted v2" in page and "the loop closed" in page
