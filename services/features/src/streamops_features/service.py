"""`streamops run features --pipeline FILE`: the features stage of one pipeline."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry

from streamops.features import feature_set, feature_store
from streamops.pipeline import Pipeline
from streamops.runtime import Stage, StreamSettings
from streamops.service import start_service
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.state import StageState, StateSettings
from streamops.topics import TopicNames
from streamops_features.featurizer import Featurizer
from streamops_features.metrics import FeaturesMetrics
from streamops_features.settings import FeaturesSettings


def build_stage(
    pipeline: Pipeline,
    settings: FeaturesSettings,
    stream: StreamSettings,
    kafka: KafkaSettings,
    registry: SchemaRegistrySettings,
    state_settings: StateSettings | None = None,
) -> Stage:
    """The features Stage of ``pipeline``: valid events in, features records out."""
    features = feature_set(pipeline)
    names = TopicNames(pipeline.name)
    metrics_registry = CollectorRegistry()
    state = StageState([feature_store(features)], state_settings)
    featurizer = Featurizer(
        features, state, names.features, FeaturesMetrics(metrics_registry, pipeline.name)
    )
    return Stage(
        settings.group_id or names.stage("features"),
        inputs=[names.events_valid],
        outputs={names.features: features.schema()},
        transform=featurizer.featurize_batch,
        dlq_topic=names.events_dlq,
        kafka=kafka,
        registry=registry,
        settings=stream,
        metrics_registry=metrics_registry,
        state=state,
    )


def run(pipeline_file: Path) -> None:
    """Compute the pipeline's features until SIGTERM; bad config exits 2, naming it."""
    entry = start_service("features")
    settings = entry.settings(FeaturesSettings)
    stream = entry.stream_settings(settings)
    if "processing_guarantee" not in stream.model_fields_set:
        # one record per event, even through a crash: at-least-once could write two
        stream = stream.model_copy(update={"processing_guarantee": "exactly_once"})
    kafka, registry = entry.settings(KafkaSettings), entry.settings(SchemaRegistrySettings)
    pipeline = entry.pipeline(pipeline_file)
    if pipeline.spec.features is None:
        entry.cannot_start(f"{pipeline_file}: the spec has no features section")
    state = entry.settings(StateSettings)
    entry.handle_stop_signals()
    if settings.ensure_topics and entry.ensure_topics(kafka, pipeline.name) is None:
        return  # stopped while waiting for the cluster
    stage = build_stage(pipeline, settings, stream, kafka, registry, state)
    if not entry.stopping.is_set():
        stage.run()
