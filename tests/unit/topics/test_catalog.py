"""The topic catalog: names, partitions, compaction, retention, durability, validation."""

from __future__ import annotations

import pytest

from streamops.topics import (
    TOPIC_SUFFIXES,
    InvalidTopicSpecError,
    TopicNames,
    TopicSpec,
    changelog_topic,
    partials_topic,
    pipeline_topics,
)


def _by_suffix(pipeline: str = "fraud", **kwargs: object) -> dict[str, TopicSpec]:
    specs = pipeline_topics(pipeline, **kwargs)  # type: ignore[arg-type]
    return {spec.name.removeprefix(f"{pipeline}."): spec for spec in specs}


def test_a_pipeline_declares_its_thirteen_topics_in_flow_order() -> None:
    assert [spec.name for spec in pipeline_topics("fraud")] == [
        "fraud.events.raw",
        "fraud.events.valid",
        "fraud.events.dlq",
        "fraud.features",
        "fraud.labels",
        "fraud.labels.valid",
        "fraud.predictions",
        "fraud.alerts",
        "fraud.models",
        "fraud.deployments",
        "fraud.runs",
        "fraud.lineage",
        "fraud.control",
    ]
    assert len(TOPIC_SUFFIXES) == 13


def test_event_topics_take_the_partition_count_and_state_topics_have_one() -> None:
    topics = _by_suffix(partitions=12)
    events = [
        "events.raw",
        "events.valid",
        "events.dlq",
        "features",
        "labels",
        "labels.valid",
        "predictions",
    ]
    assert {suffix: topics[suffix].partitions for suffix in events} == dict.fromkeys(events, 12)
    single = ("alerts", "models", "deployments", "runs", "lineage", "control")
    assert {s: topics[s].partitions for s in single} == dict.fromkeys(single, 1)
    assert _by_suffix()["features"].partitions == 6  # the default


def test_the_registry_is_compacted_audit_logs_are_kept_forever_events_expire() -> None:
    topics = _by_suffix()
    assert topics["models"].config == {"cleanup.policy": "compact"}
    # history that must not be compacted away: every decision, run, lineage event, request
    for suffix in ("deployments", "runs", "lineage", "control"):
        assert topics[suffix].config == {"cleanup.policy": "delete", "retention.ms": "-1"}
    assert topics["alerts"].config["cleanup.policy"] == "compact,delete"
    assert topics["alerts"].config["retention.ms"] == str(90 * 86_400_000)
    for suffix in ("events.raw", "events.valid", "events.dlq", "features", "labels"):
        assert topics[suffix].config["cleanup.policy"] == "delete", suffix
    # valid labels outlive the label delay like the labels they come from
    assert topics["labels.valid"].config == topics["labels"].config
    assert topics["events.raw"].config["retention.ms"] == str(7 * 86_400_000)
    assert topics["labels"].config["retention.ms"] == str(30 * 86_400_000)


def test_no_topic_raises_the_message_size() -> None:
    # model artifacts are chunked under the broker's default limit (streamops.registry)
    assert not any("max.message.bytes" in spec.config for spec in _by_suffix().values())


def test_min_insync_replicas_only_on_irreplaceable_topics_when_replicated() -> None:
    replicated = _by_suffix(replication_factor=3)
    assert {s for s, spec in replicated.items() if "min.insync.replicas" in spec.config} == {
        "events.raw",
        "labels",
        "models",
        "deployments",
        "runs",
    }
    assert replicated["models"].config["min.insync.replicas"] == "2"
    assert all(spec.replication_factor == 3 for spec in replicated.values())
    # With one replica (or the broker default) min.insync.replicas=2 would block every write.
    for factor in (1, None, -1):
        topics = _by_suffix(replication_factor=factor)
        assert not any("min.insync.replicas" in spec.config for spec in topics.values())
    assert all(
        spec.replication_factor is None for spec in _by_suffix(replication_factor=-1).values()
    )


def test_overrides_replace_or_extend_one_topic_only() -> None:
    topics = _by_suffix(overrides={"features": {"retention.ms": "123", "segment.ms": "456"}})
    assert topics["features"].config == {
        "cleanup.policy": "delete",
        "retention.ms": "123",
        "segment.ms": "456",
    }
    assert topics["labels"].config["retention.ms"] == str(30 * 86_400_000)


def test_override_of_unknown_topic_names_the_known_suffixes() -> None:
    with pytest.raises(InvalidTopicSpecError, match=r"\['feature'\].*features"):
        pipeline_topics("fraud", overrides={"feature": {"retention.ms": "1"}})


@pytest.mark.parametrize(
    ("pipeline", "message"),
    [
        ("", "empty"),
        ("fr.aud", r"contains '\.'"),
        ("fraud detection", "contains ' '"),
        ("fräud", "contains 'ä'"),
        ("fraud/eu", "contains '/'"),
        ("x" * 237, "237 characters long; at most 236"),
    ],
)
def test_bad_pipeline_names_are_refused_with_the_reason(pipeline: str, message: str) -> None:
    with pytest.raises(InvalidTopicSpecError, match=message):
        pipeline_topics(pipeline)


def test_longest_legal_pipeline_name_gives_legal_topic_names() -> None:
    names = [spec.name for spec in pipeline_topics("x" * 236)]
    assert max(len(name) for name in names) == 249


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"partitions": 0}, "partitions must be at least 1"),
        ({"replication_factor": 0}, "replication factor must be at least 1"),
    ],
)
def test_bad_counts_are_refused(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(InvalidTopicSpecError, match=message):
        pipeline_topics("fraud", **kwargs)  # type: ignore[arg-type]


def test_topic_spec_validates_and_copies_its_config() -> None:
    config = {"cleanup.policy": "compact"}
    spec = TopicSpec("a.b", 1, None, config)
    config["cleanup.policy"] = "delete"
    assert spec.config["cleanup.policy"] == "compact"
    with pytest.raises(TypeError):
        spec.config["cleanup.policy"] = "delete"  # type: ignore[index]
    with pytest.raises(InvalidTopicSpecError, match="at most 249"):
        TopicSpec("t" * 250, 1)
    with pytest.raises(InvalidTopicSpecError, match="reserved"):
        TopicSpec("..", 1)
    with pytest.raises(InvalidTopicSpecError, match="configs are strings"):
        TopicSpec("t", 1, None, {"retention.ms": 5})  # type: ignore[dict-item]
    assert len(set(pipeline_topics("fraud")) | set(pipeline_topics("fraud"))) == 13


def test_topic_names_are_the_catalogs_names() -> None:
    names = TopicNames("fraud")
    declared = {spec.name for spec in pipeline_topics("fraud")}
    asked = {
        names.events_raw,
        names.events_valid,
        names.events_dlq,
        names.features,
        names.labels,
        names.labels_valid,
        names.predictions,
        names.alerts,
        names.models,
        names.deployments,
        names.runs,
        names.lineage,
        names.control,
    }
    assert asked == declared
    assert names.stage("validation") == "fraud.validation"
    with pytest.raises(InvalidTopicSpecError):
        TopicNames("no.dots")


def test_a_stages_own_topics() -> None:
    changelog = changelog_topic("fraud.validation", "seen", 6)
    assert changelog.name == "fraud.validation.seen.changelog"
    assert changelog.partitions == 6 and changelog.config["cleanup.policy"] == "compact"
    partials = partials_topic("fraud.validation")
    assert partials.name == "fraud.validation.partials" and partials.partitions == 1
    assert partials.config["cleanup.policy"] == "delete"
