"""OpenLineage RunEvents of training runs, as ``{p}.lineage`` carries them.

`run_event` builds the event as a plain dict in OpenLineage's JSON (spec 2-0-2): the job
(``streamops`` / ``{pipeline}.training.{model}``), the run (its id is the TrainingRun's),
the input topics with the offsets read per partition (input facet ``streamops_offsets``)
and the model version published (output facet ``streamops_model_version``); a FAIL event
carries OpenLineage's ``errorMessage`` run facet. The JSON Schema the topic is registered
with is ``schemas/platform/OpenLineageRunEvent.schema.json``; the wire format is
Confluent's for JSON Schema (magic byte, schema id, UTF-8 JSON), so JSON Schema aware
clients read it, and `decode_run_event` also reads bare JSON, as OpenLineage's own Kafka
transport writes it.
"""

from __future__ import annotations

import datetime
import json
import struct
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from streamops.registry.keys import version_key

EventType = Literal["START", "COMPLETE", "FAIL"]
#: Who wrote the event, as OpenLineage's ``producer`` (a URI).
DEFAULT_PRODUCER = "urn:streamops:training"
JOB_NAMESPACE = "streamops"
RUN_EVENT_SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
ERROR_FACET_SCHEMA_URL = (
    "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet"
)
_OWN_SCHEMA = "urn:streamops:schemas:OpenLineageRunEvent#/definitions/"
OFFSETS_FACET_SCHEMA_URL = _OWN_SCHEMA + "OffsetsInputFacet"
MODEL_VERSION_FACET_SCHEMA_URL = _OWN_SCHEMA + "ModelVersionOutputFacet"
_HEADER = struct.Struct(">bI")


@dataclass(frozen=True)
class TopicInput:
    """A topic a run read: ``[start, end)`` offsets per partition, schema ids seen."""

    topic: str
    offsets: Mapping[int, tuple[int, int]]
    schema_ids: Sequence[int] = field(default_factory=tuple)


@dataclass(frozen=True)
class ModelOutput:
    """The model version a run published on the models topic."""

    topic: str
    model_name: str
    version: int
    onnx_sha256: str


def kafka_namespace(bootstrap_servers: str) -> str:
    """OpenLineage's namespace of a Kafka dataset: ``kafka://{host}:{port}`` of the first
    bootstrap server (the OpenLineage naming spec)."""
    first = bootstrap_servers.split(",")[0].strip()
    host = first.split("://")[-1]
    return f"kafka://{host if ':' in host else host + ':9092'}"


def job_name(pipeline: str, model_name: str) -> str:
    """The OpenLineage job of a model's training, in namespace ``streamops``."""
    return f"{pipeline}.training.{model_name}"


def run_event(
    event_type: EventType,
    *,
    run_id: str,
    job: str,
    event_time: datetime.datetime,
    namespace: str,
    inputs: Sequence[TopicInput] = (),
    output: ModelOutput | None = None,
    error: str | None = None,
    producer: str = DEFAULT_PRODUCER,
) -> dict[str, Any]:
    """One RunEvent; ``namespace`` is the Kafka datasets' (`kafka_namespace`)."""
    uuid.UUID(run_id)  # OpenLineage run ids are UUIDs: a ValueError names a bad one
    if event_time.tzinfo is None:
        raise ValueError("event_time must be timezone-aware")
    if (error is not None) != (event_type == "FAIL"):
        raise ValueError("a FAIL event carries an error message, and only a FAIL event")
    run_facets: dict[str, Any] = {}
    if error is not None:
        run_facets["errorMessage"] = {
            **_facet(producer, ERROR_FACET_SCHEMA_URL),
            "message": error,
            "programmingLanguage": "python",
        }
    return {
        "eventType": event_type,
        "eventTime": event_time.isoformat(),
        "producer": producer,
        "schemaURL": RUN_EVENT_SCHEMA_URL,
        "run": {"runId": run_id, "facets": run_facets},
        "job": {"namespace": JOB_NAMESPACE, "name": job, "facets": {}},
        "inputs": [_input(namespace, topic, producer) for topic in inputs],
        "outputs": [] if output is None else [_output(namespace, output, producer)],
    }


def _facet(producer: str, schema_url: str) -> dict[str, str]:
    return {"_producer": producer, "_schemaURL": schema_url}


def _input(namespace: str, topic: TopicInput, producer: str) -> dict[str, Any]:
    partitions = [
        {"partition": p, "start_offset": start, "end_offset": end}
        for p, (start, end) in sorted(topic.offsets.items())
    ]
    offsets = {
        **_facet(producer, OFFSETS_FACET_SCHEMA_URL),
        "partitions": partitions,
        "schema_ids": sorted(topic.schema_ids),
    }
    return {
        "namespace": namespace,
        "name": topic.topic,
        "facets": {},
        "inputFacets": {"streamops_offsets": offsets},
    }


def _output(namespace: str, output: ModelOutput, producer: str) -> dict[str, Any]:
    facet = {
        **_facet(producer, MODEL_VERSION_FACET_SCHEMA_URL),
        "model_name": output.model_name,
        "version": output.version,
        "key": version_key(output.model_name, output.version),
        "onnx_sha256": output.onnx_sha256,
    }
    return {
        "namespace": namespace,
        "name": output.topic,
        "facets": {},
        "outputFacets": {"streamops_model_version": facet},
    }


def encode_run_event(event: Mapping[str, Any], schema_id: int) -> bytes:
    """The event in Confluent's JSON Schema wire format under registered ``schema_id``."""
    body = json.dumps(event, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return _HEADER.pack(0, schema_id) + body


def decode_run_event(data: bytes) -> dict[str, Any]:
    """An event from ``{p}.lineage``: wire format or bare JSON; ValueError if neither."""
    body = data[_HEADER.size :] if data[:1] == b"\x00" else data
    event = json.loads(body.decode("utf-8"))
    if not isinstance(event, dict) or "run" not in event:
        raise ValueError("not an OpenLineage RunEvent")
    return event
