"""Splitting an ONNX artifact into ModelChunk records, and putting it back together.

Every record on ``{p}.models`` must stay under the broker's message limit (1 MiB by
default), whatever the model's size. The artifact is cut into chunks of ``chunk_bytes``
(512 KiB by default: a chunk record plus its batch overhead stays well under 1 MiB and
under librdkafka's default producer limit of 1,000,000 bytes), written before the
version's record in one transaction. A reader joins chunks 0 .. count-1 and refuses the
result unless its size and SHA-256 match the ModelVersion record.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping

from streamops.contracts.types import ModelChunk
from streamops.registry.errors import ArtifactIncompleteError, ArtifactIntegrityError

#: Bytes of artifact per chunk record unless the publisher is told otherwise.
DEFAULT_CHUNK_BYTES = 512 * 1024
#: Chunk indexes are five digits in the record keys.
MAX_CHUNKS = 100_000


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``, as ModelVersion.onnx_sha256 carries it."""
    return hashlib.sha256(data).hexdigest()


def chunk_count(size: int, chunk_bytes: int) -> int:
    """How many chunks of ``chunk_bytes`` hold ``size`` bytes (at least one)."""
    return max(1, -(-size // chunk_bytes))


def split_artifact(
    pipeline: str, model_name: str, version: int, onnx: bytes, chunk_bytes: int
) -> Iterator[ModelChunk]:
    """The ModelChunk records of ``onnx``, in index order, cut as they are asked for
    (the arguments are checked at once)."""
    if chunk_bytes < 1:
        raise ValueError(f"chunk_bytes must be at least 1, got {chunk_bytes}")
    if not onnx:
        raise ValueError(f"{model_name} v{version}: the ONNX artifact is empty")
    count = chunk_count(len(onnx), chunk_bytes)
    if count >= MAX_CHUNKS:
        raise ValueError(
            f"{model_name} v{version}: {len(onnx)} bytes make {count} chunks of {chunk_bytes}; "
            f"at most {MAX_CHUNKS - 1} fit the keys: raise chunk_bytes"
        )
    return _cut(pipeline, model_name, version, onnx, chunk_bytes, count)


def _cut(
    pipeline: str, model_name: str, version: int, onnx: bytes, chunk_bytes: int, count: int
) -> Iterator[ModelChunk]:
    digest = sha256_hex(onnx)
    view = memoryview(onnx)
    for index in range(count):
        yield {
            "pipeline": pipeline,
            "model_name": model_name,
            "version": version,
            "onnx_sha256": digest,
            "index": index,
            "count": count,
            "data": bytes(view[index * chunk_bytes : (index + 1) * chunk_bytes]),
        }


def join_chunks(
    what: str, chunks: Iterable[Mapping[str, object]], count: int, sha256: str, size: int
) -> bytes:
    """The artifact from its ModelChunk records (any order; others than ``sha256``'s are
    ignored), checked against the version's ``count``, ``size`` and ``sha256``.

    ``what`` names the version in errors, e.g. ``fraud-gbm v3``.
    """
    parts: dict[int, bytes] = {}
    for chunk in chunks:
        if chunk["onnx_sha256"] == sha256 and isinstance(chunk["data"], bytes):
            parts[int(chunk["index"])] = chunk["data"]  # type: ignore[call-overload]
    missing = [i for i in range(count) if i not in parts]
    if missing:
        shown = ", ".join(map(str, missing[:5])) + (" ..." if len(missing) > 5 else "")
        raise ArtifactIncompleteError(
            f"{what}: {len(missing)} of {count} artifact chunks are missing from the models "
            f"topic (index {shown}); publish the version again"
        )
    return check_artifact(what, b"".join(parts[i] for i in range(count)), sha256, size)


def check_artifact(what: str, data: bytes, sha256: str, size: int) -> bytes:
    """``data`` unchanged if its SHA-256 (and size, when known) match; else refused."""
    if size and len(data) != size:
        raise ArtifactIntegrityError(
            f"{what}: the artifact has {len(data)} bytes, its record says {size}; refused"
        )
    actual = sha256_hex(data)
    if actual != sha256:
        raise ArtifactIntegrityError(
            f"{what}: the artifact's SHA-256 is {actual}, its record says {sha256}; refused"
        )
    return data
