"""Records the registry integration tests publish."""

from __future__ import annotations

import datetime

from streamops.contracts.types import ModelVersion
from tests.unit.contracts.examples import MODEL_VERSION

MODEL = "fraud-gbm"
NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)


def version(pipeline: str, number: int, **changes: object) -> ModelVersion:
    """Metadata of version ``number`` of MODEL, artifact fields left to the publisher."""
    record = {**MODEL_VERSION, "pipeline": pipeline, "model_name": MODEL, "version": number}
    del record["onnx_sha256"]  # type: ignore[misc]
    return {**record, **changes}  # type: ignore[typeddict-item]
