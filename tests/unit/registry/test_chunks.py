"""Cutting an artifact into chunk records and joining it back, checked by size and SHA-256."""

from __future__ import annotations

import hashlib
import os
import random

import pytest

from streamops.registry import ArtifactIncompleteError, ArtifactIntegrityError
from streamops.registry.chunks import check_artifact, chunk_count, join_chunks, split_artifact

DATA = os.urandom(10_000)
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.mark.parametrize(
    ("size", "chunk_bytes", "count"),
    [(10_000, 1000, 10), (10_001, 1000, 11), (1, 1000, 1), (999, 1000, 1)],
)
def test_chunks_cover_the_artifact_exactly(size: int, chunk_bytes: int, count: int) -> None:
    data = DATA[:size] if size <= len(DATA) else DATA + b"x"
    chunks = list(split_artifact("fraud", "m", 3, data, chunk_bytes))
    assert chunk_count(len(data), chunk_bytes) == count == len(chunks)
    assert [c["index"] for c in chunks] == list(range(count))
    assert all(c["count"] == count and c["version"] == 3 for c in chunks)
    assert all(len(c["data"]) <= chunk_bytes for c in chunks)
    assert {c["onnx_sha256"] for c in chunks} == {hashlib.sha256(data).hexdigest()}
    assert b"".join(c["data"] for c in chunks) == data


def test_join_takes_chunks_in_any_order() -> None:
    chunks = list(split_artifact("fraud", "m", 1, DATA, 777))
    random.Random(7).shuffle(chunks)
    assert join_chunks("m v1", chunks, len(chunks), SHA, len(DATA)) == DATA


def test_a_missing_chunk_is_named() -> None:
    chunks = list(split_artifact("fraud", "m", 1, DATA, 1000))
    del chunks[4]
    with pytest.raises(ArtifactIncompleteError, match=r"m v1: 1 of 10 artifact chunks .*index 4"):
        join_chunks("m v1", chunks, 10, SHA, len(DATA))


def test_chunks_of_another_publication_are_not_mixed_in() -> None:
    """A chunk left by an earlier, different artifact of the same version is ignored."""
    chunks = list(split_artifact("fraud", "m", 1, DATA, 1000))
    stale = list(split_artifact("fraud", "m", 1, os.urandom(10_000), 1000))
    assert join_chunks("m v1", [*stale[:3], *chunks], 10, SHA, len(DATA)) == DATA
    with pytest.raises(ArtifactIncompleteError, match="index 0, 1, 2"):
        join_chunks("m v1", [*stale[:3], *chunks[3:]], 10, SHA, len(DATA))


def test_corrupted_bytes_are_refused_by_their_sha256() -> None:
    chunks = list(split_artifact("fraud", "m", 1, DATA, 1000))
    flipped = bytearray(chunks[2]["data"])
    flipped[10] ^= 0x01
    chunks[2] = {**chunks[2], "data": bytes(flipped)}
    with pytest.raises(
        ArtifactIntegrityError, match=f"m v1: the artifact's SHA-256 is .*says {SHA}; refused"
    ):
        join_chunks("m v1", chunks, 10, SHA, len(DATA))


def test_a_size_that_does_not_match_is_refused() -> None:
    with pytest.raises(ArtifactIntegrityError, match="has 10000 bytes, its record says 10001"):
        check_artifact("m v1", DATA, SHA, 10_001)
    assert check_artifact("m v1", DATA, SHA, 0) == DATA  # size unknown (old records): sha only


def test_bad_inputs_are_refused() -> None:
    # refused when called, not when the first chunk is asked for
    with pytest.raises(ValueError, match="empty"):
        split_artifact("fraud", "m", 1, b"", 1000)
    with pytest.raises(ValueError, match="chunk_bytes must be at least 1"):
        split_artifact("fraud", "m", 1, DATA, 0)
    with pytest.raises(ValueError, match="100000 chunks of 1; at most 99999 fit the keys"):
        list(split_artifact("fraud", "m", 1, b"x" * 100_000, 1))
