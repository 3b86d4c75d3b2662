"""OpenLineage RunEvents of training runs, checked against openlineage-python's own model."""

from __future__ import annotations

import datetime
import json
from typing import Any, ClassVar

import attr
import pytest
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import InputDatasetFacet, OutputDatasetFacet
from openlineage.client.generated.error_message_run import ErrorMessageRunFacet
from openlineage.client.naming.dataset import Kafka
from openlineage.client.serde import Serde

from streamops.contracts import SCHEMA_DIR
from streamops.registry.lineage import (
    DEFAULT_PRODUCER,
    MODEL_VERSION_FACET_SCHEMA_URL,
    OFFSETS_FACET_SCHEMA_URL,
    ModelOutput,
    TopicInput,
    decode_run_event,
    encode_run_event,
    job_name,
    kafka_namespace,
    run_event,
)

RUN_ID = "0190a3c2-5b7e-7000-8000-000000000003"
WHEN = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
INPUTS = [
    TopicInput("fraud.features", {1: (0, 70), 0: (5, 100)}, schema_ids=[12]),
    TopicInput("fraud.labels.valid", {0: (0, 40)}, schema_ids=[9, 7]),
]
OUTPUT = ModelOutput("fraud.models", "fraud-gbm", 4, "ab" * 32)


@attr.define
class OffsetsFacet(InputDatasetFacet):
    """streamops' input facet as a custom facet of the OpenLineage client."""

    partitions: list[dict[str, int]]
    schema_ids: list[int]
    _additional_skip_redact: ClassVar[list[str]] = []

    @staticmethod
    def _get_schema() -> str:
        return OFFSETS_FACET_SCHEMA_URL


@attr.define
class ModelVersionFacet(OutputDatasetFacet):
    """streamops' output facet as a custom facet of the OpenLineage client."""

    model_name: str
    version: int
    key: str
    onnx_sha256: str

    @staticmethod
    def _get_schema() -> str:
        return MODEL_VERSION_FACET_SCHEMA_URL


def _client_event(state: RunState, *, output: bool, error: str | None = None) -> dict[str, Any]:
    """The same event built with openlineage-python, as it serialises it."""
    namespace = Kafka("localhost", "9092", "fraud.features").get_namespace()
    inputs = [
        InputDataset(
            namespace=namespace,
            name=topic.topic,
            inputFacets={
                "streamops_offsets": OffsetsFacet(
                    partitions=[
                        {"partition": p, "start_offset": s, "end_offset": e}
                        for p, (s, e) in sorted(topic.offsets.items())
                    ],
                    schema_ids=sorted(topic.schema_ids),
                    producer=DEFAULT_PRODUCER,
                )
            },
        )
        for topic in INPUTS
    ]
    outputs = [
        OutputDataset(
            namespace=namespace,
            name=OUTPUT.topic,
            outputFacets={
                "streamops_model_version": ModelVersionFacet(
                    model_name=OUTPUT.model_name,
                    version=OUTPUT.version,
                    key="fraud-gbm:4",
                    onnx_sha256=OUTPUT.onnx_sha256,
                    producer=DEFAULT_PRODUCER,
                )
            },
        )
    ]
    run_facets: dict[str, Any] = {}
    if error is not None:
        run_facets["errorMessage"] = ErrorMessageRunFacet(
            message=error, programmingLanguage="python", producer=DEFAULT_PRODUCER
        )
    event = RunEvent(
        eventType=state,
        eventTime=WHEN.isoformat(),
        run=Run(runId=RUN_ID, facets=run_facets),
        job=Job(namespace="streamops", name="fraud.training.fraud-gbm"),
        inputs=inputs,
        outputs=outputs if output else [],
        producer=DEFAULT_PRODUCER,
    )
    return Serde.to_dict(event)


def _ours(event_type: str, *, output: bool, error: str | None = None) -> dict[str, Any]:
    return run_event(
        event_type,  # type: ignore[arg-type]
        run_id=RUN_ID,
        job=job_name("fraud", "fraud-gbm"),
        event_time=WHEN,
        namespace=kafka_namespace("localhost:9092,other:9093"),
        inputs=INPUTS,
        output=OUTPUT if output else None,
        error=error,
    )


@pytest.mark.parametrize(
    ("state", "output", "error"),
    [
        (RunState.START, False, None),
        (RunState.COMPLETE, True, None),
        (RunState.FAIL, False, "boom"),
    ],
)
def test_events_are_what_openlineage_python_builds(
    state: RunState, output: bool, error: str | None
) -> None:
    ours = _ours(state.value, output=output, error=error)
    assert ours == _client_event(state, output=output, error=error)
    # and they survive the client's own JSON round trip unchanged
    assert json.loads(Serde.to_json(ours)) == ours


def test_inputs_carry_the_offsets_read_and_the_output_the_version() -> None:
    event = _ours("COMPLETE", output=True)
    features = event["inputs"][0]
    assert (features["namespace"], features["name"]) == ("kafka://localhost:9092", "fraud.features")
    assert features["inputFacets"]["streamops_offsets"]["partitions"] == [
        {"partition": 0, "start_offset": 5, "end_offset": 100},
        {"partition": 1, "start_offset": 0, "end_offset": 70},
    ]
    assert event["inputs"][1]["inputFacets"]["streamops_offsets"]["schema_ids"] == [7, 9]
    facet = event["outputs"][0]["outputFacets"]["streamops_model_version"]
    assert (facet["key"], facet["version"]) == ("fraud-gbm:4", 4)


def test_events_have_what_the_registered_json_schema_requires() -> None:
    schema = json.loads((SCHEMA_DIR / "OpenLineageRunEvent.schema.json").read_text())
    event = _ours("COMPLETE", output=True)
    assert set(schema["required"]) <= set(event)
    assert event["eventType"] in schema["properties"]["eventType"]["enum"]
    definitions = schema["definitions"]
    for facet, name in (
        (event["inputs"][0]["inputFacets"]["streamops_offsets"], "OffsetsInputFacet"),
        (event["outputs"][0]["outputFacets"]["streamops_model_version"], "ModelVersionOutputFacet"),
    ):
        assert facet["_schemaURL"].endswith(f"#/definitions/{name}")
        required = definitions[name]["allOf"][1]["required"]
        assert set(required) <= set(facet), name


def test_wire_format_round_trips_and_bare_json_is_read_too() -> None:
    event = _ours("START", output=False)
    data = encode_run_event(event, 42)
    assert data[:5] == b"\x00\x00\x00\x00\x2a"
    assert decode_run_event(data) == event
    assert decode_run_event(json.dumps(event).encode()) == event  # OpenLineage's own transport
    with pytest.raises(ValueError, match="not an OpenLineage RunEvent"):
        decode_run_event(b'{"hello": 1}')


def test_bad_events_are_refused() -> None:
    with pytest.raises(ValueError, match="badly formed hexadecimal UUID string"):
        run_event("START", run_id="run-1", job="j", event_time=WHEN, namespace="kafka://h:1")
    with pytest.raises(ValueError, match="timezone-aware"):
        run_event(
            "START", run_id=RUN_ID, job="j", event_time=datetime.datetime(2026, 1, 1), namespace="n"
        )
    with pytest.raises(ValueError, match="a FAIL event carries an error message"):
        run_event("FAIL", run_id=RUN_ID, job="j", event_time=WHEN, namespace="n")
    with pytest.raises(ValueError, match="and only a FAIL event"):
        run_event("COMPLETE", run_id=RUN_ID, job="j", event_time=WHEN, namespace="n", error="x")


def test_kafka_namespace_follows_the_openlineage_naming() -> None:
    assert (
        kafka_namespace("broker-1:9092,broker-2:9092")
        == Kafka("broker-1", "9092", "t").get_namespace()
    )
    assert kafka_namespace("SASL_SSL://b:9094") == "kafka://b:9094"
    assert kafka_namespace("b") == "kafka://b:9092"
