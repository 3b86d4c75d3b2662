"""ModelRegistry and RegistryPublisher checks that need no broker: naming models and
versions, and what a publication is refused before anything is written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from streamops.registry import (
    ModelRegistry,
    RegistryPublisher,
    UnknownModelError,
    UnknownVersionError,
)
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from tests.support.kafka import free_port
from tests.unit.registry.records import MODEL, published, version

NOWHERE = KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}")
NO_REGISTRY = SchemaRegistrySettings(url=f"http://127.0.0.1:{free_port()}")


@pytest.fixture
def registry() -> Iterator[ModelRegistry]:
    opened = ModelRegistry("fraud", NOWHERE, NO_REGISTRY, timeout_s=1)
    yield opened
    opened.close()


def test_the_only_model_is_the_default_and_several_must_be_named(registry: ModelRegistry) -> None:
    with pytest.raises(UnknownModelError, match=r"fraud.models holds 0 models \(none published"):
        registry.model()
    registry.state = published(1, 2)
    assert registry.model().name == MODEL and registry.model_names == [MODEL]
    registry.state.apply_version(version(1, model="other"))
    with pytest.raises(UnknownModelError, match=r"holds 2 models \(fraud-gbm, other\); name one"):
        registry.model()
    assert registry.model("other").name == "other"
    with pytest.raises(UnknownModelError, match=r"no model 'nobody' .*models: fraud-gbm, other"):
        registry.model("nobody")


def test_an_unknown_version_names_the_published_ones(registry: ModelRegistry) -> None:
    registry.state = published(1, 3)
    assert registry.version(MODEL, 3)["version"] == 3
    with pytest.raises(
        UnknownVersionError, match=r"fraud-gbm has no version 2 \(published: 1, 3\)"
    ):
        registry.load_artifact(MODEL, 2)


@pytest.mark.parametrize("chunk_bytes", [0, 999_000])
def test_chunks_must_fit_the_producers_record_limit(chunk_bytes: int) -> None:
    with pytest.raises(ValueError, match="chunk_bytes must be in"):
        RegistryPublisher("fraud", NOWHERE, NO_REGISTRY, chunk_bytes=chunk_bytes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"pipeline": "other"}, "is of pipeline 'other'"),
        ({"version": 0}, "versions start at 1"),
        ({"onnx_sha256": "0" * 64}, "onnx_sha256 does not match the bytes given"),
    ],
)
def test_a_publication_is_refused_before_anything_is_written(
    changes: dict[str, object], message: str
) -> None:
    publisher = RegistryPublisher("fraud", NOWHERE, NO_REGISTRY)
    with pytest.raises(ValueError, match=message):
        publisher.publish_version({**version(1), **changes}, b"onnx")  # type: ignore[typeddict-item]
