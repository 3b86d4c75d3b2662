"""Deterministic ids: the same subject gives the same UUID, any other subject another."""

from __future__ import annotations

import uuid

from streamops.contracts.ids import (
    PREDICTION_NAMESPACE,
    derived_id,
    derived_ids,
    prediction_id,
    prediction_ids,
)
from streamops.registry.keys import deployment_id


def test_a_prediction_id_is_a_uuid5_stable_across_calls_and_processes() -> None:
    one = prediction_id("fraud", "tx-1", "fraud-gbm", 3, "CHAMPION")
    assert one == prediction_id("fraud", "tx-1", "fraud-gbm", 3, "CHAMPION")
    assert uuid.UUID(one).version == 5
    # pinned: a changed namespace or name layout would split replays from their originals
    assert one == "7a889943-f6b9-50ee-89b2-cfffd6c26d66"


def test_a_prediction_id_differs_by_event_version_role_model_and_pipeline() -> None:
    one = prediction_id("fraud", "tx-1", "fraud-gbm", 3, "CHAMPION")
    others = {
        prediction_id("fraud", "tx-2", "fraud-gbm", 3, "CHAMPION"),
        prediction_id("fraud", "tx-1", "fraud-gbm", 4, "CHAMPION"),
        prediction_id("fraud", "tx-1", "fraud-gbm", 3, "SHADOW"),
        prediction_id("fraud", "tx-1", "fraud-gbm", 3, "CHALLENGER"),
        prediction_id("fraud", "tx-1", "fraud-lr", 3, "CHAMPION"),
        prediction_id("other", "tx-1", "fraud-gbm", 3, "CHAMPION"),
    }
    assert one not in others and len(others) == 6


def test_derived_ids_are_namespaced() -> None:
    assert derived_id(PREDICTION_NAMESPACE, "a", 1) == str(uuid.uuid5(PREDICTION_NAMESPACE, "a:1"))
    assert derived_id(PREDICTION_NAMESPACE, "a", 1) != derived_id(uuid.uuid4(), "a", 1)


def test_ids_of_a_batch_are_the_ids_one_by_one() -> None:
    events = ["tx-1", "tx-2", "a:b", ""]
    assert prediction_ids("fraud", events, "fraud-gbm", 3, "SHADOW") == [
        prediction_id("fraud", e, "fraud-gbm", 3, "SHADOW") for e in events
    ]
    assert derived_ids(PREDICTION_NAMESPACE, [], ["x", "y:1"]) == [
        str(uuid.uuid5(PREDICTION_NAMESPACE, "x")),
        str(uuid.uuid5(PREDICTION_NAMESPACE, "y:1")),
    ]
    assert derived_ids(PREDICTION_NAMESPACE, ["a", 1], []) == []


def test_deployment_ids_kept_their_values_when_they_moved_to_derived_id() -> None:
    # the value deployment_id gave before it used derived_id: ids already in the logs
    assert deployment_id("fraud", "fraud-gbm", 3, "PROMOTE", 2) == (
        "6f135552-7183-51aa-9469-ca1c6ef65577"
    )
