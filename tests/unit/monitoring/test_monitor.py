"""The monitor on the fraud spec's drift section, with in-memory state and synthetic data:
event-time windows of 1 h every 30 min, grace 5 min, judged by one owner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from streamops.pipeline import Pipeline, load_pipeline
from streamops_monitoring.owner import IDLE_MS
from tests.unit.monitoring.harness import NUMERIC, T0, TOPICS, Cluster, draw, reference
from tests.unit.monitoring.test_labelled import prediction

FRAUD = Path(__file__).resolve().parents[3] / "deploy" / "pipelines" / "fraud.yaml"
STEP = 30 * 60_000
PER_STEP = 1000  # features records per 30 min of event time


@pytest.fixture(scope="module")
def fraud() -> Pipeline:
    return load_pipeline(FRAUD)


def play(
    cluster: Cluster,
    steps: range,
    shift: tuple[str, ...] = (),
    seed: int = 0,
    partitions: int = 1,
    only: set[int] | None = None,
    scores: tuple[float, float] = (0.5, 20),
    hours: bool = False,
) -> None:
    """Features records for ``steps`` intervals, in order of event time, spread over
    ``partitions`` partitions (sent to those in ``only``, default all), in batches of 250,
    each followed by the champion's predictions of the same events (scores drawn from
    Beta(``scores``): by default the reference's, in the harness); with ``hours``, the
    records carry their event time's hour of the day."""
    rng = np.random.default_rng(seed + steps.start)
    for step in steps:
        rows = draw(rng, PER_STEP, shift)
        times = T0 + step * STEP + np.sort(rng.integers(0, STEP, PER_STEP))
        for i in range(0, PER_STEP, 250):
            batch = [
                _features(r, int(t), i + j)
                for j, (r, t) in enumerate(zip(rows[i : i + 250], times[i : i + 250], strict=True))
            ]
            if hours:
                for b in batch:
                    b["hour_of_day"] = b["event_time"] // 3_600_000 % 24
            drawn = rng.beta(*scores, len(batch))
            for p in range(partitions):
                part = [b for k, b in enumerate(batch) if k % partitions == p]
                if part and (only is None or p in only):
                    cluster.send(TOPICS.features, part, p)
                    scored = [
                        prediction(b["event_id"], b["event_time"], float(drawn[k]))
                        for k, b in enumerate(batch)
                        if k % partitions == p
                    ]
                    cluster.send(TOPICS.predictions, scored, p)


def _features(row: dict[str, Any], t: int, i: int) -> dict[str, Any]:
    return {"event_id": f"e{t}-{i}", "entity_key": f"card-{i % 50}", "event_time": t, **row}


def drift_alerts(cluster: Cluster) -> list[dict[str, Any]]:
    return [a for a in cluster.alerts if a["kind"] == "DATA_DRIFT"]


def test_stable_traffic_raises_no_drift_alert(fraud: Pipeline) -> None:
    cluster = Cluster(fraud)
    play(cluster, range(0, 60))  # 30 h of event time, 60,000 records
    judged = cluster.owner().metrics.windows.labels("fraud", "data")._value.get()
    assert judged >= 55  # every window but the last few (grace) was judged
    assert [a for a in cluster.alerts if a["kind"] == "PREDICTION_DRIFT"] == []
    assert drift_alerts(cluster) == []


def test_two_of_nine_drifted_features_open_one_alert_naming_them_and_it_resolves(
    fraud: Pipeline,
) -> None:
    cluster = Cluster(fraud)
    play(cluster, range(0, 6))
    play(cluster, range(6, 12), shift=("x3", "country"))
    # the first windows holding drifted data start at steps 5 and 6: the alert opens on the
    # first and is sent again, same id, once the second finds more features drifted
    opened = drift_alerts(cluster)
    assert [a["state"] for a in opened] in (["OPEN"], ["OPEN", "OPEN"])
    assert len({a["alert_id"] for a in opened}) == 1
    assert all(a["window"]["start"].timestamp() * 1000 <= T0 + 6 * STEP for a in opened)
    latest = opened[-1]
    assert set(latest["details"]["features"].split(",")) == {"x3", "country"}
    assert int(latest["details"]["tested"]) == 9
    assert float(latest["details"]["false_alarm_windows"]) >= 1000
    assert latest["model_version"] == 1 and latest["model_name"] == "fraud-detector"
    play(cluster, range(12, 18))
    *_, resolved = drift_alerts(cluster)
    assert resolved["state"] == "RESOLVED" and resolved["alert_id"] == latest["alert_id"]
    assert len(drift_alerts(cluster)) == len(opened) + 1


def test_the_hour_of_day_is_not_tested(fraud: Pipeline) -> None:
    """A window of one hour holds one or two hours of the day by construction, where the
    reference spreads over all 24: tested, it would drift in every window."""
    cluster = Cluster(fraud)
    cluster.ref[0] = reference(hours=True)
    play(cluster, range(0, 12), hours=True)
    assert drift_alerts(cluster) == []
    scored = {
        s.labels["feature"]
        for metric in cluster.owner().registry.collect()
        if metric.name == "streamops_monitoring_feature_drift"
        for s in metric.samples
    }
    assert "x0" in scored and "hour_of_day" not in scored


def prediction_drift_alerts(cluster: Cluster) -> list[dict[str, Any]]:
    return [a for a in cluster.alerts if a["kind"] == "PREDICTION_DRIFT"]


def test_scores_that_drift_open_prediction_drift_and_it_resolves(fraud: Pipeline) -> None:
    """The features as the reference's, the champion's scores not: PREDICTION_DRIFT alone
    (the mean score from 0.024 to 0.059), with its budget, until the scores come back."""
    cluster = Cluster(fraud)
    play(cluster, range(0, 6))
    play(cluster, range(6, 12), scores=(1.0, 16))
    opened = prediction_drift_alerts(cluster)
    assert [a["state"] for a in opened] == ["OPEN"]
    [alert] = opened
    assert alert["window"]["start"].timestamp() * 1000 <= T0 + 6 * STEP  # its first window
    assert alert["value"] > alert["threshold"]
    assert float(alert["details"]["false_alarm_windows"]) >= 1000
    assert alert["model_version"] == 1 and alert["model_name"] == "fraud-detector"
    assert drift_alerts(cluster) == []  # the features did not move
    play(cluster, range(12, 18))
    *_, resolved = prediction_drift_alerts(cluster)
    assert resolved["state"] == "RESOLVED" and resolved["alert_id"] == alert["alert_id"]
    assert len(prediction_drift_alerts(cluster)) == 2


def test_the_verdicts_do_not_depend_on_the_number_of_replicas(fraud: Pipeline) -> None:
    found = []
    for partitions, replicas in ((1, 1), (4, 2)):
        cluster = Cluster(fraud, partitions, replicas)
        play(cluster, range(0, 5), partitions=partitions)
        play(cluster, range(5, 10), shift=("x1",), partitions=partitions)
        found.append(
            [(a["alert_id"], a["state"], a["details"]["features"]) for a in drift_alerts(cluster)]
        )
    assert found[0] == found[1] and found[0][0][1:] == ("OPEN", "x1")


def test_a_partition_behind_the_others_is_waited_for(fraud: Pipeline) -> None:
    # partition 1 runs ten hours ahead of partition 0 (its consumer fetched partition 1's
    # backlog first), and only partition 0's half of the events drifted: judging a window
    # without it would find nothing, and drop its partials as too late
    cluster = Cluster(fraud, partitions=2)
    play(cluster, range(0, 4), partitions=2)
    play(cluster, range(4, 24), partitions=2, only={1})
    assert drift_alerts(cluster) == []
    windows = cluster.owner().metrics.windows.labels("fraud", "data")
    before = windows._value.get()
    # the gauges show the verdicts held back, and by whom: partition 0 stopped 10 h behind
    held = progress(cluster)
    assert held["partition 1"] - held["partition 0"] > 9 * 3600
    assert held["clock"] == held["partition 1"] and held["data"] < held["partition 0"]
    play(cluster, range(4, 24), shift=("country",), partitions=2, only={0})
    assert windows._value.get() > before + 15
    caught_up = progress(cluster)
    assert caught_up["data"] - held["data"] > 9 * 3600
    assert caught_up["clock"] - caught_up["partition 0"] < 60  # its own last event
    [*_, latest] = drift_alerts(cluster)
    assert latest["state"] == "OPEN" and latest["details"]["features"] == "country"
    assert late_partials(cluster) == 0


def progress(cluster: Cluster) -> dict[str, float]:
    """The owner's event-time gauges (epoch s): clock, data, labels, "partition N"."""
    out = {}
    for metric in cluster.owner().metrics.progress.collect():
        for sample in metric.samples:
            what, partition = sample.labels["what"], sample.labels["partition"]
            out[f"{what} {partition}" if partition else what] = sample.value
    return out


def test_a_partition_silent_for_longer_than_idle_is_not_waited_for(fraud: Pipeline) -> None:
    cluster = Cluster(fraud, partitions=2)
    play(cluster, range(0, 4), partitions=2)
    windows = cluster.owner().metrics.windows.labels("fraud", "data")
    before = windows._value.get()
    play(cluster, range(4, 12), partitions=2, only={1})
    assert windows._value.get() == before  # held back: partition 0 may be behind
    for step in (12, 13):  # partition 1 goes on for half a minute, partition 0 silent
        cluster.wall[0] += IDLE_MS // 2
        play(cluster, range(step, step + 1), partitions=2, only={1})
    assert windows._value.get() >= before + 8  # the windows it held back are judged


def test_a_partition_slower_to_resume_after_a_pause_is_waited_for(fraud: Pipeline) -> None:
    # the whole stream paused for longer than the idle time (a producer stopped, as between
    # a test's phases); then partition 1 runs ahead while partition 0, whose half drifted,
    # has not caught up: its silence began with the pause, not with partition 1's resumption
    cluster = Cluster(fraud, partitions=2)
    play(cluster, range(0, 4), partitions=2)
    cluster.wall[0] += 2 * IDLE_MS
    play(cluster, range(4, 12), partitions=2, only={1})
    assert drift_alerts(cluster) == []
    play(cluster, range(4, 12), shift=("country",), partitions=2, only={0})
    [*_, latest] = drift_alerts(cluster)
    assert latest["state"] == "OPEN" and latest["details"]["features"] == "country"
    assert late_partials(cluster) == 0
    windows = cluster.owner().metrics.windows.labels("fraud", "data")
    before = windows._value.get()
    for step in (12, 13, 14):  # now partition 0 stops while partition 1 goes on
        cluster.wall[0] += IDLE_MS // 2
        play(cluster, range(step, step + 1), partitions=2, only={1})
    assert windows._value.get() >= before + 1  # not waited for any more


def test_features_fetched_after_predictions_far_ahead_are_not_late(fraud: Pipeline) -> None:
    # the consumer fetched five hours of the champion's predictions before their features
    # records (larger, another topic): the features still count in their windows
    cluster = Cluster(fraud)
    play(cluster, range(0, 4))
    held: list[tuple[str, list[dict[str, Any]], int]] = []
    send, cluster.send = cluster.send, lambda topic, rows, p: held.append((topic, rows, p))
    play(cluster, range(4, 14), shift=("country",))
    cluster.send = send
    for topic in (TOPICS.predictions, TOPICS.features):
        for t, rows, p in held:
            if t == topic:
                send(t, rows, p)
    late = cluster.owner().metrics.late.labels("fraud", "features")._value.get()
    assert late == 0
    opened = [a for a in drift_alerts(cluster) if a["state"] == "OPEN"]
    assert opened and opened[0]["details"]["features"] == "country"


def test_a_window_the_champion_changed_in_is_not_judged(fraud: Pipeline) -> None:
    # partition 0's records of interval 4 were counted for version 1; version 2 arrives,
    # then partition 1's (drifted) ones: judged alone against version 2 they would raise
    # DATA_DRIFT about half a window of one partition
    cluster = Cluster(fraud, partitions=2)
    play(cluster, range(0, 4), partitions=2)
    play(cluster, range(4, 5), partitions=2, only={0})
    cluster.ref[0] = reference(version=2)
    play(cluster, range(4, 5), shift=("country",), partitions=2, only={1})
    windows = cluster.owner().metrics.windows.labels("fraud", "data")
    before = windows._value.get()
    play(cluster, range(5, 12), partitions=2)
    assert drift_alerts(cluster) == []
    assert windows._value.get() >= before + 4  # the windows after the switch are judged


def test_an_interval_counted_before_the_first_champion_is_not_judged(fraud: Pipeline) -> None:
    # partition 0's records of interval 3 came before there was a champion (no bins to
    # count them on); partition 1's, drifted, after: alone they would raise DATA_DRIFT
    cluster = Cluster(fraud, partitions=2)
    cluster.ref[0] = None
    play(cluster, range(0, 4), partitions=2, only={0})
    cluster.ref[0] = reference()
    play(cluster, range(0, 4), shift=("country",), partitions=2, only={1})
    play(cluster, range(4, 12), partitions=2)
    assert drift_alerts(cluster) == []
    assert cluster.owner().metrics.windows.labels("fraud", "data")._value.get() >= 4


def late_partials(cluster: Cluster) -> float:
    return float(cluster.owner().metrics.late_partials.labels("fraud")._value.get())


def test_a_restart_keeps_the_open_alert(fraud: Pipeline) -> None:
    cluster = Cluster(fraud)
    play(cluster, range(0, 4))
    play(cluster, range(4, 8), shift=NUMERIC[:2])
    before = drift_alerts(cluster)
    assert {a["state"] for a in before} == {"OPEN"}
    cluster.restart()
    play(cluster, range(8, 10), shift=NUMERIC[:2])  # still drifted: nothing new
    assert drift_alerts(cluster) == before
    play(cluster, range(10, 16))
    assert [a["state"] for a in drift_alerts(cluster)] == [*(["OPEN"] * len(before)), "RESOLVED"]
