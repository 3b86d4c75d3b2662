"""Runtime pieces that need no broker: offsets, dead letters, metrics, health endpoints."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from confluent_kafka import TopicPartition
from prometheus_client import CollectorRegistry

from streamops.runtime.batch import batch_offsets
from streamops.runtime.dlq import dead_letter, unencodable_output
from streamops.runtime.health import HealthServer
from streamops.runtime.metrics import StageMetrics
from streamops.runtime.records import InRecord, OutRecord, Reason, Rejection


class FakeMessage:
    def __init__(self, topic: str, partition: int, offset: int) -> None:
        self._tpo = (topic, partition, offset)

    def topic(self) -> str:
        return self._tpo[0]

    def partition(self) -> int:
        return self._tpo[1]

    def offset(self) -> int:
        return self._tpo[2]


def test_offsets_commit_after_the_last_and_rewind_to_the_first_per_partition() -> None:
    messages = [
        FakeMessage("a", 0, 5),
        FakeMessage("a", 1, 9),
        FakeMessage("a", 0, 6),
        FakeMessage("b", 0, 0),
        FakeMessage("a", 1, 10),
    ]
    commit, rewind = batch_offsets(messages)  # type: ignore[arg-type]
    as_set = lambda tps: {(tp.topic, tp.partition, tp.offset) for tp in tps}  # noqa: E731
    assert as_set(commit) == {("a", 0, 7), ("a", 1, 11), ("b", 0, 1)}
    assert as_set(rewind) == {("a", 0, 5), ("a", 1, 9), ("b", 0, 0)}
    assert all(isinstance(tp, TopicPartition) for tp in commit)


def test_dead_letter_keeps_original_bytes_and_every_reason() -> None:
    record = InRecord("p.events.raw", 2, 41, 1_700_000_000_000, b"k", b"\x00garbage", {})
    letter = dead_letter(
        "validation",
        Rejection(
            record,
            "VALIDATION",
            [
                Reason("not_null", "amount is null", field="amount"),
                Reason("range", "amount -3 < 0", field="amount", value="-3"),
            ],
        ),
        now_ms=1_700_000_000_500,
    )
    assert letter["value"] == b"\x00garbage" and letter["key"] == b"k"
    assert (letter["source_topic"], letter["source_partition"], letter["source_offset"]) == (
        "p.events.raw",
        2,
        41,
    )
    assert [r["rule"] for r in letter["reasons"]] == ["not_null", "range"]
    assert letter["reasons"][1]["value"] == "-3"


def test_an_output_without_source_is_dead_lettered_as_json() -> None:
    out = OutRecord("p.features", {"x": float("nan"), "when": object()}, key="c-1")
    letter = unencodable_output("features", out, TypeError("bad"), now_ms=1)
    assert letter["source_partition"] == -1 and letter["error_kind"] == "ENCODE"
    assert json.loads(letter["value"])["x"] != 0
    assert letter["key"] == b"c-1"
    ordered = OutRecord("p.features", (float("nan"), "c-1"), key="c-1")
    named = unencodable_output("features", ordered, ValueError("bad"), 1, ("x", "card"))
    assert json.loads(named["value"])["card"] == "c-1"  # a tuple's values with their names


def test_consumer_lag_is_read_from_librdkafka_statistics() -> None:
    metrics = StageMetrics("s", CollectorRegistry())
    metrics.on_librdkafka_stats(
        json.dumps(
            {
                "topics": {
                    "t": {
                        "partitions": {
                            "0": {"consumer_lag": 12},
                            "1": {"consumer_lag": -1},
                            "-1": {"consumer_lag": 99},
                        }
                    }
                }
            }
        )
    )
    value = metrics.registry.get_sample_value(
        "streamops_stream_consumer_lag_records", {"stage": "s", "topic": "t", "partition": "0"}
    )
    assert value == 12
    assert (
        metrics.registry.get_sample_value(
            "streamops_stream_consumer_lag_records", {"stage": "s", "topic": "t", "partition": "-1"}
        )
        is None
    )


def test_health_server_answers_probes_and_metrics() -> None:
    metrics = StageMetrics("probe", CollectorRegistry())
    metrics.records_in.inc(3)
    state = {"ready": False}
    server = HealthServer(
        "127.0.0.1", 0, metrics.registry, lambda: True, lambda: state["ready"]
    ).start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        assert urllib.request.urlopen(f"{base}/healthz").status == 200
        try:
            urllib.request.urlopen(f"{base}/readyz")
            raise AssertionError("readyz must be 503 before the stage is ready")
        except urllib.error.HTTPError as exc:
            assert exc.code == 503
        state["ready"] = True
        assert urllib.request.urlopen(f"{base}/readyz").status == 200
        body = urllib.request.urlopen(f"{base}/metrics").read().decode()
        assert 'streamops_stream_records_in_total{stage="probe"} 3.0' in body
    finally:
        server.stop()
