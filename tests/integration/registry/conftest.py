"""A pipeline of one's own per test (topics created from the catalog, deleted afterwards),
and the settings to reach the test broker and registry."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from confluent_kafka.admin import AdminClient

from streamops.registry import ModelRegistry, RegistryPublisher
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.topics import ensure_topics, pipeline_topics
from tests.support.confluent import registry_client
from tests.support.kafka import delete_pipeline_topics, unique_name

#: The broker's own default limit on a record batch; the models topic of the tests is held
#: to it, so a record over 1 MiB is refused even by a broker configured more generously.
KAFKA_DEFAULT_MAX_MESSAGE_BYTES = "1048588"


@pytest.fixture
def kafka_settings(kafka: str) -> KafkaSettings:
    """Settings of the test broker."""
    return KafkaSettings(bootstrap_servers=kafka)


@pytest.fixture
def registry_settings(schema_registry: str) -> SchemaRegistrySettings:
    """Settings of the test registry."""
    return SchemaRegistrySettings(url=schema_registry)


@pytest.fixture
def admin(kafka: str) -> AdminClient:
    """An admin client on the test broker."""
    return AdminClient({"bootstrap.servers": kafka})


@pytest.fixture
def make_pipeline(admin: AdminClient, schema_registry: str) -> Iterator[Callable[..., str]]:
    """Create a pipeline's topics, ``models`` with extra configs if given; the topics and
    the registry subjects of the pipeline are deleted after the test (both are shared)."""
    created: list[str] = []

    def make(models_config: dict[str, str] | None = None) -> str:
        name = unique_name("reg").replace("-", "_")
        created.append(name)
        models = {"max.message.bytes": KAFKA_DEFAULT_MAX_MESSAGE_BYTES, **(models_config or {})}
        specs = pipeline_topics(name, partitions=1, overrides={"models": models})
        assert ensure_topics(admin, specs).ok
        return name

    yield make
    client = registry_client(schema_registry)
    for name in created:
        delete_pipeline_topics(admin, name)
        for subject in client.get_subjects():
            if subject.startswith(f"{name}."):
                client.delete_subject(subject)
                client.delete_subject(subject, permanent=True)


@pytest.fixture
def pipeline(make_pipeline: Callable[..., str]) -> str:
    """A pipeline whose topics exist as the catalog declares them."""
    return make_pipeline()


@pytest.fixture
def publisher(
    pipeline: str, kafka_settings: KafkaSettings, registry_settings: SchemaRegistrySettings
) -> Iterator[RegistryPublisher]:
    """A publisher to ``pipeline``'s registry topics."""
    with RegistryPublisher(pipeline, kafka_settings, registry_settings) as opened:
        yield opened


@pytest.fixture
def open_registry(
    kafka_settings: KafkaSettings, registry_settings: SchemaRegistrySettings
) -> Iterator[Callable[[str], ModelRegistry]]:
    """A new ModelRegistry of a pipeline, read to the end, as a fresh process would make it."""
    opened: list[ModelRegistry] = []

    def make(pipeline: str) -> ModelRegistry:
        registry = ModelRegistry(pipeline, kafka_settings, registry_settings, timeout_s=20)
        opened.append(registry)
        registry.refresh()
        return registry

    yield make
    for registry in opened:
        registry.close()
