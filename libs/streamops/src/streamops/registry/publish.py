"""`RegistryPublisher`: everything training and operators write to the registry topics
(and operators' requests to ``{p}.control``).

A version is its artifact's ModelChunk records, then its ModelVersion record, written in
one Kafka transaction: a ``read_committed`` reader sees the whole version or nothing, and
a publisher that dies half-way leaves nothing visible (the next one with the same
transactional id aborts it at once). The transactional id is per pipeline and model,
because one training job at a time publishes a model's versions; a second publisher of
the same model fences the first. Deployment events, runs and lineage events are single
records, written by an idempotent producer that any number of processes (the training
service, operators' CLI) may run at once, each record acknowledged before the call returns.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient

from streamops.contracts.types import (
    Alert,
    ControlRequest,
    Deployment,
    ModelVersion,
    TrainingRun,
)
from streamops.registry.chunks import (
    DEFAULT_CHUNK_BYTES,
    chunk_count,
    sha256_hex,
    split_artifact,
)
from streamops.registry.errors import ClusterUnavailableError, RecordTooLargeError
from streamops.registry.keys import chunk_key, version_key
from streamops.registry.lineage import encode_run_event
from streamops.registry.wire import avro_encoder, record_subject, register_lineage_schema
from streamops.serde import AvroEncoder, value_subject
from streamops.settings import KafkaSettings, SchemaRegistrySettings
from streamops.topics import TopicNames

#: librdkafka's default producer limit on one record; a record above it is refused.
MAX_RECORD_BYTES = 1_000_000


class RegistryPublisher:
    """Writes versions, deployment events, runs and lineage events of one pipeline."""

    def __init__(
        self,
        pipeline: str,
        kafka: KafkaSettings,
        registry: SchemaRegistrySettings,
        *,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        timeout_s: float = 30.0,
    ) -> None:
        if not 1 <= chunk_bytes <= MAX_RECORD_BYTES - 1024:
            raise ValueError(
                f"chunk_bytes must be in [1, {MAX_RECORD_BYTES - 1024}] so that a chunk "
                f"record fits the producer's limit, got {chunk_bytes}"
            )
        self.topics = TopicNames(pipeline)
        self.chunk_bytes = chunk_bytes
        self._kafka = kafka
        self._client = SchemaRegistryClient(registry.client_config())
        self._timeout_s = timeout_s
        self._encoders: dict[str, AvroEncoder] = {}
        self._lineage_schema_id: int | None = None
        self._transactional: dict[str, Producer] = {}  # model name -> its producer
        self._producer: Producer | None = None

    def publish_version(self, version: ModelVersion, onnx: bytes) -> ModelVersion:
        """Write ``onnx`` in chunks and ``version`` after them, in one transaction.

        The artifact fields (``onnx_sha256``, ``onnx_chunks``, ``onnx_size_bytes``,
        ``onnx_model``) are filled in; a given ``onnx_sha256`` must match the bytes.
        Publishing a version again replaces it (same keys). Returns the record written.
        """
        model, number = version["model_name"], version["version"]
        if version["pipeline"] != self.topics.pipeline:
            raise ValueError(f"{model} v{number} is of pipeline {version['pipeline']!r}")
        if number < 1:
            raise ValueError(f"{model}: versions start at 1, got {number}")
        digest = sha256_hex(onnx)
        if version.get("onnx_sha256") not in (None, "", digest):
            raise ValueError(f"{model} v{number}: onnx_sha256 does not match the bytes given")
        # a generator: the chunks are cut as they are sent, never all held at once
        chunks = split_artifact(self.topics.pipeline, model, number, onnx, self.chunk_bytes)
        record: ModelVersion = {
            **version,
            "onnx_model": None,
            "onnx_sha256": digest,
            "onnx_chunks": chunk_count(len(onnx), self.chunk_bytes),
            "onnx_size_bytes": len(onnx),
        }
        topic = self.topics.models
        chunk_encoder = self._encoder(record_subject(topic, "ModelChunk"), "ModelChunk")
        value = self._encoder(value_subject(topic), "ModelVersion").encode(record)
        _check_size(f"the ModelVersion record of {model} v{number}", value)
        producer = self._transactional_producer(model)
        try:
            producer.begin_transaction()
            for chunk in chunks:
                key = chunk_key(model, number, chunk["index"])
                _produce(producer, topic, key, chunk_encoder.encode(chunk))
            _produce(producer, topic, version_key(model, number), value)
            producer.commit_transaction(self._timeout_s)
        except KafkaException as exc:
            _abort(producer, self._timeout_s)
            raise ClusterUnavailableError(
                f"publishing {model} v{number} to {topic} failed, nothing of it is visible: "
                f"{_describe(exc)}"
            ) from exc
        except BaseException:  # anything else (an interrupt ...) must not leave it open
            _abort(producer, self._timeout_s)
            raise
        return record

    def record_deployment(self, deployment: Deployment) -> None:
        """Append one deployment event to ``{p}.deployments`` (key: the model name)."""
        topic = self.topics.deployments
        value = self._encoder(value_subject(topic), "Deployment").encode(deployment)
        self._write(topic, deployment["model_name"], value)

    def record_run(self, run: TrainingRun) -> None:
        """Append one training run to ``{p}.runs`` (key: the run id)."""
        topic = self.topics.runs
        self._write(
            topic, run["run_id"], self._encoder(value_subject(topic), "TrainingRun").encode(run)
        )

    def record_alert(self, alert: Alert) -> None:
        """Append one alert to ``{p}.alerts`` (key: the alert id)."""
        topic = self.topics.alerts
        value = self._encoder(value_subject(topic), "Alert").encode(alert)
        self._write(topic, alert["alert_id"], value)

    def record_request(self, request: ControlRequest) -> None:
        """Append one operator's request to ``{p}.control`` (key: the request id)."""
        topic = self.topics.control
        value = self._encoder(value_subject(topic), "ControlRequest").encode(request)
        self._write(topic, request["request_id"], value)

    def record_lineage(self, event: Mapping[str, Any]) -> None:
        """Append one OpenLineage RunEvent (`streamops.registry.lineage.run_event`) to
        ``{p}.lineage`` (key: the run id), in the JSON Schema wire format."""
        topic = self.topics.lineage
        if self._lineage_schema_id is None:
            self._lineage_schema_id = register_lineage_schema(self._client, topic)
        value = encode_run_event(event, self._lineage_schema_id)
        self._write(topic, str(event["run"]["runId"]), value)

    def close(self) -> None:
        """Flush and drop the producers."""
        for producer in [*self._transactional.values(), self._producer]:
            if producer is not None:
                producer.flush(self._timeout_s)
        self._transactional.clear()
        self._producer = None

    def __enter__(self) -> RegistryPublisher:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _encoder(self, subject: str, record: str) -> AvroEncoder:
        if subject not in self._encoders:
            self._encoders[subject] = avro_encoder(self._client, subject, record)
        return self._encoders[subject]

    def _transactional_producer(self, model: str) -> Producer:
        if model not in self._transactional:
            producer = Producer(
                {
                    **self._kafka.client_config(),
                    "transactional.id": f"streamops.registry.{self.topics.models}.{model}",
                    "enable.idempotence": True,
                    "linger.ms": 5,
                }
            )
            try:
                producer.init_transactions(self._timeout_s)
            except KafkaException as exc:
                raise ClusterUnavailableError(
                    f"cannot start a transaction on {self.topics.models}: {exc}"
                ) from exc
            self._transactional[model] = producer
        return self._transactional[model]

    def _write(self, topic: str, key: str, value: bytes) -> None:
        """Produce one record and wait until the broker has it."""
        _check_size(f"the record for {topic}", value)
        if self._producer is None:
            self._producer = Producer({**self._kafka.client_config(), "enable.idempotence": True})
        errors: list[KafkaError] = []

        def delivered(err: KafkaError | None, _msg: Message) -> None:
            if err is not None:
                errors.append(err)

        _produce(self._producer, topic, key, value, delivered)
        left = self._producer.flush(self._timeout_s)
        if errors or left:
            why = errors[0].str() if errors else f"not acknowledged within {self._timeout_s:g} s"
            raise ClusterUnavailableError(f"writing to {topic} failed: {why}")


def _produce(
    producer: Producer, topic: str, key: str, value: bytes, on_delivery: Any = None
) -> None:
    while True:
        try:
            producer.produce(topic, key=key.encode("utf-8"), value=value, on_delivery=on_delivery)
            producer.poll(0)
            return
        except BufferError:  # the local queue is full: let deliveries drain it
            producer.poll(0.5)


def _abort(producer: Producer, timeout_s: float) -> None:
    # fatal or fenced: nothing of the transaction becomes visible either way
    with contextlib.suppress(KafkaException):
        producer.abort_transaction(timeout_s)


def _describe(exc: KafkaException) -> str:
    error = exc.args[0] if exc.args else None
    return error.str() if isinstance(error, KafkaError) else str(exc)


def _check_size(what: str, value: bytes) -> None:
    if len(value) > MAX_RECORD_BYTES - 1024:
        raise RecordTooLargeError(
            f"{what} is {len(value)} bytes; records on the registry topics stay under "
            f"{MAX_RECORD_BYTES - 1024} (the producer's limit less headroom): shrink what it "
            "carries (e.g. fewer reference-profile bins or categories)"
        )
