"""Labels through the validation service against the real broker and registry: good ones to
labels.valid unchanged, bad ones to the DLQ with their reasons, none lost; a label topic
that is not co-partitioned with the events is refused at start-up."""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import httpx
from confluent_kafka import Producer
from prometheus_client.parser import text_string_to_metric_families

from streamops.contracts import load_schema
from streamops.serde import AvroDecoder, AvroEncoder, value_subject
from streamops.topics import TopicNames
from streamops_examples.fraud.generator import generate
from tests.integration.validation.conftest import Start
from tests.support.confluent import avro_deserializer, registry_client
from tests.support.kafka import create_topic, delivery_recorder, read_all, unique_name
from tests.support.pipelines import create_topics, private_pipeline, produce_events
from tests.support.stage_process import committed_total, wait_for

EVENT_MS = 1_800_000_000_000
#: a record of another schema on the label topic, as from a misconfigured producer
NOT_A_LABEL = {
    "type": "record",
    "name": "Chargeback",
    "namespace": "test",
    "fields": [{"name": "card", "type": "string"}, {"name": "fraud", "type": "boolean"}],
}
#: fraud.yaml without its labels section
NO_LABELS = {
    "labels:                       # records of the platform Label contract on fraud.labels\n"
    "  join_key: transaction_id    # a label's event_id is the transaction it is about\n"
    "  expected_delay: 3d          # chargebacks: minutes to days (compressed in the demo)\n"
    "  negative_after_delay: true  # no chargeback after 3 days: a legitimate transaction\n"
    "  kind: binary                # value 1.0 (fraud) or 0.0\n": "",
}


def _ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def label(name: str, i: int, **changes: Any) -> dict[str, Any]:
    """A good binary label of event ``i`` (a day late), as a label producer writes it."""
    return {
        "pipeline": name,
        "event_id": f"tx-{i:016x}",
        "entity_key": f"card-{i:06d}",
        "value": float(i % 2),
        "event_time": _ms(EVENT_MS + i),
        "label_time": _ms(EVENT_MS + i + 86_400_000),
        "source": "chargebacks",
    } | changes


def produce(kafka: str, topic: str, records: list[tuple[str, bytes]]) -> None:
    errors, on_delivery = delivery_recorder()
    producer = Producer({"bootstrap.servers": kafka, "linger.ms": 5})
    for key, value in records:
        producer.produce(topic, value, key, on_delivery=on_delivery)
    assert producer.flush(30) == 0
    assert errors == []


def labels_counted(port: int, pipeline: str, outcome: str) -> float:
    """streamops_validation_labels_total{pipeline, outcome} as /metrics says."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    [total] = [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "streamops_validation_labels_total"
        and sample.labels == {"pipeline": pipeline, "outcome": outcome}
    ]
    return total


def test_good_labels_reach_labels_valid_and_bad_ones_the_dlq_with_their_reasons(
    kafka: str, schema_registry: str, tmp_path: Path, validation_service: Start
) -> None:
    pipeline = private_pipeline(tmp_path, prefix="vallabels")
    create_topics(kafka, pipeline)
    names, p = TopicNames(pipeline.name), pipeline.name
    topic = pipeline.spec.label_topic
    assert topic == names.labels
    registry = registry_client(schema_registry)
    encode = AvroEncoder(registry, value_subject(topic), load_schema("Label")).encode
    good = [label(p, i) for i in range(60)]
    bad: list[tuple[dict[str, Any], str, set[str]]] = [  # a label, its key, the rules it breaks
        (label(p, 100, event_id="tx-other-pipeline", pipeline="shop"), "", {"label_pipeline"}),
        (label(p, 101, event_id=""), "", {"label_join_key"}),
        (label(p, 102, event_id="tx-half", value=0.5), "", {"label_value"}),
        (label(p, 103, event_id="tx-a-class", value="fraud"), "", {"label_value"}),
        (
            label(p, 104, event_id="tx-early", label_time=_ms(EVENT_MS + 104 - 1000)),
            "",
            {"label_time"},
        ),
        (label(p, 105, event_id="tx-wrong-key"), "card-999999", {"label_key"}),
        (
            label(p, 106, event_id="tx-many", pipeline="shop", value=-1.0),
            "x",
            {"label_pipeline", "label_key", "label_value"},
        ),
    ]
    records = [(g["entity_key"], encode(g)) for g in good]
    records += [(key or value["entity_key"], encode(value)) for value, key, _ in bad]
    other = AvroEncoder(registry, f"{topic}-chargeback-value", NOT_A_LABEL)
    records.append(("card-000200", other.encode({"card": "card-000200", "fraud": True})))
    records.append(("card-000201", b"not avro at all"))
    produce(kafka, topic, records)
    produce_events(kafka, schema_registry, pipeline, list(generate(50, seed=3)))

    process, port, log = validation_service(pipeline)
    group = names.stage("validation")
    wait_for(
        lambda: (
            committed_total(kafka, group, topic, 3) == len(records)
            and committed_total(kafka, group, names.events_raw, 3) == 50
        ),
        120,
        "all labels and events validated",
        log,
    )
    assert labels_counted(port, p, "valid") == len(good)
    assert labels_counted(port, p, "invalid") == len(bad) + 1  # + the other schema's record
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0

    deserialize = avro_deserializer(registry)
    valid = read_all(kafka, names.labels_valid, expected=len(good), idle_s=2)
    landed = {(m.key() or b"").decode(): deserialize(m.value(), None) for m in valid}
    assert len(valid) == len(good), "every good label, once"
    assert landed == {g["entity_key"]: g for g in good}, "unchanged, under the entity key"

    letters: list[dict[str, Any]] = [
        cast(dict[str, Any], deserialize(m.value(), None))
        for m in read_all(kafka, names.events_dlq, expected=len(bad) + 2, idle_s=2)
    ]
    assert len(letters) == len(bad) + 2, "every bad label once, and no event"
    assert {letter["source_topic"] for letter in letters} == {topic}
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for letter in letters:
        by_kind.setdefault(letter["error_kind"], []).append(letter)
    [undecodable] = by_kind.pop("DECODE")
    assert undecodable["value"] == b"not avro at all" and undecodable["key"] == b"card-000201"
    decoder = AvroDecoder(registry)
    explained = {}
    for letter in by_kind.pop("VALIDATION"):
        original = decoder.decode(letter["value"])  # the original bytes, unchanged
        reasons = {(r["rule"], r["field"]) for r in letter["reasons"]}
        assert all(r["message"] for r in letter["reasons"]), letter
        if "event_id" not in original:  # the record of another schema
            assert letter["key"] == b"card-000200"
            assert {("label_schema", "pipeline"), ("label_schema", "value")} <= reasons
            assert {rule for rule, _ in reasons} == {"label_schema"}
            continue
        explained[original["event_id"]] = {rule for rule, _ in reasons}
        if original["event_id"] == "tx-early":
            [early] = letter["reasons"]
            assert "1000 ms before event_time" in early["message"]
    assert explained == {value["event_id"]: rules for value, _, rules in bad}
    assert by_kind == {}


def test_a_label_topic_with_another_partition_count_is_refused_at_start(
    kafka: str, tmp_path: Path, validation_service: Start
) -> None:
    custom = unique_name("chargebacks")
    pipeline = private_pipeline(
        tmp_path,
        prefix="vallabelparts",
        replace={"  join_key: transaction_id": f"  topic: {custom}\n  join_key: transaction_id"},
    )
    assert pipeline.spec.label_topic == custom
    create_topics(kafka, pipeline)  # 3 partitions each
    create_topic(kafka, custom, partitions=2)

    process, _, log = validation_service(pipeline)
    assert process.wait(60) == 2
    output = log.read_text()
    assert (
        f"validation: cannot start: the label topic {custom} has 2 partitions but "
        f"{pipeline.name}.events.raw has 3: labels must share partition numbers" in output
    ), output
    assert "Traceback" not in output


def test_without_a_labels_section_labels_are_not_consumed(
    kafka: str, schema_registry: str, tmp_path: Path, validation_service: Start
) -> None:
    pipeline = private_pipeline(tmp_path, prefix="valnolabels", replace=NO_LABELS)
    assert pipeline.spec.labels is None
    create_topics(kafka, pipeline)
    names = TopicNames(pipeline.name)
    registry = registry_client(schema_registry)
    encode = AvroEncoder(registry, value_subject(names.labels), load_schema("Label")).encode
    produce(kafka, names.labels, [("card-000001", encode(label(pipeline.name, 1, value=0.5)))])
    produce_events(kafka, schema_registry, pipeline, list(generate(20, seed=4)))

    process, _, log = validation_service(pipeline)
    group = names.stage("validation")
    wait_for(
        lambda: committed_total(kafka, group, names.events_raw, 3) == 20, 60, "events done", log
    )
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0
    assert committed_total(kafka, group, names.labels, 3) == 0
    assert read_all(kafka, names.labels_valid, expected=1, timeout_s=3) == []
    assert read_all(kafka, names.events_dlq, expected=1, timeout_s=3) == []
