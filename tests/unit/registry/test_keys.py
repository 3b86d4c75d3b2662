"""Keys of the models topic: versions and chunks, parsed back; foreign keys are not ours."""

from __future__ import annotations

import pytest

from streamops.registry.keys import (
    ModelsKey,
    chunk_key,
    deployment_id,
    parse_models_key,
    version_key,
)


def test_version_and_chunk_keys_round_trip() -> None:
    assert version_key("fraud-gbm", 3) == "fraud-gbm:3"
    assert chunk_key("fraud-gbm", 3, 7) == "fraud-gbm:3:chunk:00007"
    assert parse_models_key(b"fraud-gbm:3") == ModelsKey("fraud-gbm", 3)
    assert parse_models_key("fraud-gbm:3:chunk:00007") == ModelsKey("fraud-gbm", 3, 7)
    # a model name with a colon still parses: the version is the last number
    assert parse_models_key(chunk_key("a:b", 12, 0)) == ModelsKey("a:b", 12, 0)


@pytest.mark.parametrize("key", [None, b"", b"fraud-gbm", b"fraud-gbm:v3", b"m:3:chunk:x", b":3"])
def test_keys_that_are_not_the_registrys_parse_to_none(key: bytes | None) -> None:
    assert parse_models_key(key) is None


def test_chunk_keys_sort_in_index_order() -> None:
    keys = [chunk_key("m", 1, i) for i in (10, 2, 100, 1)]
    assert sorted(keys) == [chunk_key("m", 1, i) for i in (1, 2, 10, 100)]


def test_deployment_ids_are_stable_uuids_of_their_subject() -> None:
    one = deployment_id("fraud", "m", 2, "PROMOTE", 5)
    assert one == deployment_id("fraud", "m", 2, "PROMOTE", 5)
    others = {
        deployment_id("other", "m", 2, "PROMOTE", 5),
        deployment_id("fraud", "n", 2, "PROMOTE", 5),
        deployment_id("fraud", "m", 3, "PROMOTE", 5),
        deployment_id("fraud", "m", 2, "RETIRE", 5),
        deployment_id("fraud", "m", 2, "PROMOTE", 6),
    }
    assert one not in others and len(others) == 5
