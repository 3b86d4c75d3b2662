"""Shared fixtures: the fraud pipeline, and variants of its model section."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from streamops.pipeline import Pipeline, load_pipeline
from tests.support.pipelines import FRAUD


@pytest.fixture(scope="session")
def fraud() -> Pipeline:
    return load_pipeline(FRAUD)


def with_model(pipeline: Pipeline, **changes: Any) -> Pipeline:
    """The pipeline with fields of its model section replaced (e.g. algorithm, params)."""
    spec = pipeline.spec
    assert spec.model is not None
    return dataclasses.replace(
        pipeline, spec=spec.model_copy(update={"model": spec.model.model_copy(update=changes)})
    )
