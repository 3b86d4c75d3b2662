"""Registry records for tests: versions of one model, and deployment events decided on them."""

from __future__ import annotations

import datetime

from streamops.contracts.types import Deployment, ModelVersion
from streamops.registry import Action, RegistryState, decide
from tests.unit.contracts.examples import MODEL_VERSION

MODEL = "fraud-gbm"
T0 = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)


def version(number: int, model: str = MODEL) -> ModelVersion:
    """A chunked version record of ``model``, as the publisher writes it."""
    return {
        **MODEL_VERSION,
        "model_name": model,
        "version": number,
        "onnx_model": None,
        "onnx_chunks": 1,
        "onnx_size_bytes": 10,
    }


def published(*numbers: int, model: str = MODEL) -> RegistryState:
    """A state that has read versions ``numbers`` of ``model`` and nothing else."""
    state = RegistryState()
    for number in numbers:
        state.apply_version(version(number, model))
    return state


def act(
    state: RegistryState,
    action: Action,
    number: int | None,
    *,
    weight: float | None = None,
    model: str = MODEL,
    event_time: datetime.datetime | None = None,
) -> Deployment:
    """Decide ``action`` as an operator would, apply it as a reader would; the record."""
    moment = T0 + datetime.timedelta(minutes=len(state.model(model).history))
    record = decide(
        state.model(model),
        action,
        number,
        actor="alice",
        reason=f"{action.lower()} for the test",
        decided_at=moment,
        canary_weight=weight,
        event_time=event_time,
    )
    assert state.apply_deployment(record)
    return record
