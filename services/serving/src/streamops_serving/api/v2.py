"""The Open Inference Protocol (KServe V2) routes: health, server and model metadata, infer.

An infer request's inputs are either the raw event's fields, one input a field (as
MLServer's pandas codec sends a frame), or the model's features: one input a feature, or
one ``[N, F]`` tensor in the model's feature order. Outputs: ``score`` (the positive
class's probability), ``probabilities`` and ``label`` for classifiers, ``value`` for
regressors, with ``model_version`` and ``prediction_id`` per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from streamops_serving.api.asgi import HttpError, Request, Response, json_response
from streamops_serving.lineup import Deployed, Lineup
from streamops_serving.requests import RequestScorer
from streamops_serving.scoring import Answer
from streamops_serving.v2.codec import decode_request, encode_response
from streamops_serving.v2.types import InferInput, InferRequest, OutputTensor, V2Error

_DATATYPES = {True: "FP32", False: "BYTES"}


class V2Routes:
    """Handlers of the ``/v2`` routes for the one model this server serves."""

    def __init__(self, requests: RequestScorer, model_name: str, event_fields: Sequence[str]):
        self.requests = requests
        self.model_name = model_name
        self.event_fields = frozenset(event_fields)
        self.key_field = requests.view.features.key_field

    @property
    def lineup(self) -> Lineup:
        return self.requests.scorer.lineup

    def server_metadata(self, _request: Request) -> Response:
        return json_response(
            {"name": "streamops-serving", "version": "0.1.0", "extensions": ["binary_tensor_data"]}
        )

    def model_metadata(self, request: Request) -> Response:
        deployed = self._deployed(request)
        runtime = deployed.runtime
        outputs = [{"name": "label", "datatype": "BYTES", "shape": [-1]}]
        if deployed.record["task"] == "REGRESSION":
            outputs = [{"name": "value", "datatype": "FP64", "shape": [-1]}]
        else:
            classes = len(runtime.classes)
            outputs.append({"name": "probabilities", "datatype": "FP64", "shape": [-1, classes]})
            if deployed.record["task"] == "BINARY_CLASSIFICATION":
                outputs.append({"name": "score", "datatype": "FP64", "shape": [-1]})
        return json_response(
            {
                "name": self.model_name,
                "versions": [str(v) for v in sorted(self.lineup.loaded())],
                "platform": "onnxruntime_onnx",
                "inputs": [
                    {"name": i.name, "datatype": _DATATYPES[i.numeric], "shape": [-1, 1]}
                    for i in runtime.inputs
                ],
                "outputs": outputs,
                "parameters": {
                    "version": str(deployed.version),
                    "raw_event_inputs": sorted(self.event_fields),
                },
            }
        )

    def model_ready(self, request: Request) -> Response:
        self._deployed(request)  # 404 when not loaded
        return json_response({"name": self.model_name, "ready": True})

    async def infer(self, request: Request) -> Response:
        deployed = self._deployed(request)
        version = int(request.params["version"]) if "version" in request.params else None
        length = request.header(b"inference-header-content-length")
        try:
            infer = decode_request(request.body, int(length) if length is not None else None)
        except V2Error as exc:
            raise HttpError(exc.status, str(exc)) from exc
        except ValueError as exc:
            raise HttpError(400, f"Inference-Header-Content-Length: {exc}") from exc
        answers = await self._answers(infer, deployed, version)
        body, headers = encode_response(
            self.model_name,
            _versions(answers),
            infer.id,
            _outputs(answers, deployed.record["task"]),
            infer,
        )
        content_type = headers.pop("Content-Type", "application/json").encode()
        return Response(
            200, body, content_type, {k.lower().encode(): v.encode() for k, v in headers.items()}
        )

    async def _answers(
        self, infer: InferRequest, deployed: Deployed, version: int | None
    ) -> list[Answer]:
        if not infer.inputs:
            raise HttpError(400, "the request has no inputs")
        rows = _rows(infer.inputs)
        names = {i.name for i in infer.inputs}
        features = [i.name for i in deployed.runtime.inputs]
        if self.key_field in names and names <= self.event_fields:
            events = [{i.name: _python(i.data[r]) for i in infer.inputs} for r in range(rows)]
            return await self.requests.events(events, infer.id, version)
        if set(features) <= names:
            wanted = set(features)
            for i in infer.inputs:
                if i.name in wanted and i.size != rows:
                    raise HttpError(
                        400,
                        f"input '{i.name}': a feature takes one value per row, shape "
                        f"[{rows}, 1] or [{rows}]; it has shape {list(i.shape)}",
                    )
            if rows == 1:  # the usual request: its values without making columns first
                one = {i.name: i.first() for i in infer.inputs if i.name in wanted}
                return await self.requests.features([one], infer.id, version)
            # numpy scalars as they are: the runtime converts them, and nothing else reads them
            columns = {i.name: i.data.reshape(rows, -1)[:, 0] for i in infer.inputs}
            table = [{f: columns[f][r] for f in features} for r in range(rows)]
            return await self.requests.features(table, infer.id, version)
        if len(infer.inputs) == 1 and infer.inputs[0].data.reshape(rows, -1).shape[1] == len(
            features
        ):
            matrix = infer.inputs[0].data.reshape(rows, -1)
            table = [dict(zip(features, map(_python, row), strict=True)) for row in matrix]
            return await self.requests.features(table, infer.id, version)
        unknown = sorted(names - self.event_fields - set(features))
        missing = sorted(set(features) - names)
        found = (
            f"unknown inputs: {', '.join(unknown)}"
            if unknown
            else (f"missing features: {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
        )
        raise HttpError(
            400,
            f"inputs are either the event's fields (with its key, {self.key_field}) or the "
            f"model's features; {found}",
        )

    def _deployed(self, request: Request) -> Deployed:
        if request.params["name"] != self.model_name:
            raise HttpError(
                404,
                f"unknown model {request.params['name']!r}; this server serves {self.model_name!r}",
            )
        lineup = self.lineup
        wanted = request.params.get("version")
        if wanted is None:
            if lineup.champion is None:
                raise HttpError(503, f"no version of {self.model_name} is loaded yet")
            return lineup.champion
        deployed = lineup.loaded().get(int(wanted)) if wanted.isdigit() else None
        if deployed is None:
            loaded = ", ".join(map(str, sorted(lineup.loaded()))) or "none"
            raise HttpError(404, f"{self.model_name} version {wanted} is not loaded ({loaded})")
        return deployed


def _rows(inputs: Sequence[InferInput]) -> int:
    counts = {i.name: (i.shape[0] if i.shape else 1) for i in inputs}
    if len(set(counts.values())) > 1:
        raise HttpError(400, f"inputs disagree on the number of rows (first dimension): {counts}")
    return next(iter(counts.values()))


def _python(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        value = value.reshape(-1)[0] if value.size == 1 else value.tolist()
    return value.item() if isinstance(value, np.generic) else value


def _versions(answers: Sequence[Answer]) -> str | None:
    versions = sorted({a.deployed.version for a in answers})
    return ",".join(map(str, versions)) or None


def _outputs(answers: Sequence[Answer], task: str) -> list[OutputTensor]:
    predictions = [a.prediction for a in answers]
    out = [
        OutputTensor(
            "model_version", np.array([p["model_version"] for p in predictions], np.int64)
        ),
        OutputTensor("prediction_id", np.array([p["prediction_id"] for p in predictions], object)),
    ]
    if task == "REGRESSION":
        return [OutputTensor("value", np.array([p["score"] for p in predictions])), *out]
    classes = list(predictions[0]["probabilities"]) if predictions else []
    matrix = np.array([[p["probabilities"][c] for c in classes] for p in predictions])
    tensors = [
        OutputTensor("label", np.array([p["predicted_label"] for p in predictions], object)),
        OutputTensor("probabilities", matrix.reshape(len(predictions), len(classes))),
    ]
    if task == "BINARY_CLASSIFICATION":
        tensors.append(OutputTensor("score", np.array([p["score"] for p in predictions])))
    return [*tensors, *out]
