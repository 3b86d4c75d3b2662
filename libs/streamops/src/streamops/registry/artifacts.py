"""Where each version's artifact lies on ``{p}.models``, and reading it back when asked.

While the registry reads the topic it notes the offset of every chunk record (the latest
per key, as compaction keeps) and of every version record, never holding the bytes. A
load reads just those offsets again with a consumer of its own, joins the chunks and
checks size and SHA-256 (`streamops.registry.chunks`): a reader never serves bytes that
do not match their record.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping

from confluent_kafka import KafkaError, Message
from confluent_kafka import TopicPartition as Partition
from confluent_kafka.schema_registry import SchemaRegistryClient

from streamops.contracts import load_schema
from streamops.contracts.types import ModelVersion
from streamops.registry.chunks import check_artifact, join_chunks
from streamops.registry.errors import ArtifactIncompleteError, ClusterUnavailableError
from streamops.registry.follow import registry_consumer
from streamops.registry.keys import ModelsKey
from streamops.serde import AvroDecoder, DecodeError, RegistryUnavailable
from streamops.settings import KafkaSettings

#: (partition, offset) of a record.
Position = tuple[int, int]


class ArtifactIndex:
    """The positions of artifact records on one models topic, and loading from them."""

    def __init__(
        self,
        topic: str,
        kafka: KafkaSettings,
        client: SchemaRegistryClient,
        *,
        timeout_s: float,
    ) -> None:
        self.topic = topic
        self._kafka = kafka
        self._timeout_s = timeout_s
        self._chunks: dict[tuple[str, int], dict[int, Position]] = defaultdict(dict)
        self._versions: dict[tuple[str, int], Position] = {}
        self._chunk_decoder = AvroDecoder(client, load_schema("ModelChunk"))
        self._version_decoder = AvroDecoder(client, load_schema("ModelVersion"))

    def saw_chunk(self, key: ModelsKey, position: Position) -> None:
        """A chunk record of ``key`` is at ``position`` (a later one replaces it)."""
        assert key.chunk is not None
        self._chunks[(key.model_name, key.version)][key.chunk] = position

    def saw_version(self, key: ModelsKey, position: Position) -> None:
        """The version record of ``key`` is at ``position``."""
        self._versions[(key.model_name, key.version)] = position

    def forget(self, key: ModelsKey) -> None:
        """A tombstone of ``key``: its record is gone (a version's, or one chunk's)."""
        if key.chunk is None:
            self._versions.pop((key.model_name, key.version), None)
        else:
            self._chunks[(key.model_name, key.version)].pop(key.chunk, None)

    def load(self, version: ModelVersion) -> bytes:
        """The artifact of ``version``, checked; see the module docstring."""
        name, number = version["model_name"], version["version"]
        what = f"{name} v{number}"
        sha, size = version["onnx_sha256"], version.get("onnx_size_bytes", 0)
        count = version.get("onnx_chunks", 0)
        if count == 0:  # written before chunking: the bytes are in the version record
            position = self._versions.get((name, number))
            records = self._read({position} if position else set(), self._version_decoder)
            inline = records[0].get("onnx_model") if records else None
            if not isinstance(inline, bytes):
                raise ArtifactIncompleteError(f"{what}: its record on {self.topic} has no artifact")
            return check_artifact(what, inline, sha, size)
        found = self._chunks.get((name, number), {})
        wanted = {found[i] for i in range(count) if i in found}
        return join_chunks(what, self._read(wanted, self._chunk_decoder), count, sha, size)

    def _read(self, positions: set[Position], decoder: AvroDecoder) -> list[dict[str, object]]:
        """Decode the records at ``positions``; records gone since (compaction) are missed."""
        by_partition: Mapping[int, list[int]] = _group(positions)
        if not by_partition:
            return []
        consumer = registry_consumer(self._kafka)
        records: list[dict[str, object]] = []
        try:
            consumer.assign([Partition(self.topic, p, min(o)) for p, o in by_partition.items()])
            last = {p: max(o) for p, o in by_partition.items()}
            deadline = time.monotonic() + self._timeout_s
            while last:
                if time.monotonic() > deadline:
                    raise ClusterUnavailableError(
                        f"reading the artifact from {self.topic} took over {self._timeout_s:g} s"
                    )
                for m in consumer.consume(100, 0.05):
                    p, offset = int(m.partition() or 0), int(m.offset() or 0)
                    if p not in last:
                        continue
                    error = m.error()
                    if error is None and (p, offset) in positions:
                        records.append(_decode(decoder, m))
                    eof = error is not None and error.code() == KafkaError._PARTITION_EOF
                    if offset >= last[p] or eof:
                        del last[p]
        finally:
            consumer.close()
        return records


def _group(positions: set[Position]) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = defaultdict(list)
    for partition, offset in positions:
        grouped[partition].append(offset)
    return grouped


def _decode(decoder: AvroDecoder, m: Message) -> dict[str, object]:
    try:
        return decoder.decode(m.value())
    except DecodeError as exc:
        raise ArtifactIncompleteError(
            f"{m.topic()}[{m.partition()}] offset {m.offset()} is unreadable: {exc}"
        ) from exc
    except RegistryUnavailable as exc:
        raise ClusterUnavailableError(str(exc)) from exc
