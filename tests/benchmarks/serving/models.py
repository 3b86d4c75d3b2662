"""The served models: a random forest and a logistic regression over the fraud features.

Both are fitted the way the training service fits them (`streamops_training`): the fraud
benchmark's labelled stream (`tests.benchmarks.training_data`), joined into a dataset,
turned into a frame with model-ready values, a scikit-learn Pipeline of the algorithm's
preprocessing and estimator (`build_pipeline`), exported with that preprocessing inside
the ONNX graph (`to_onnx`). The one fitted pipeline is what MLServer's scikit-learn
runtime loads (joblib) and what the ONNX bytes hold, so every server answers the same
model. The request is one real row of the data, as V2 named inputs, one per feature.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib  # type: ignore[import-untyped]
import numpy as np
from sklearn.pipeline import Pipeline as SkPipeline

from streamops.pipeline import load_pipeline
from streamops_training.estimators import build_pipeline
from streamops_training.export import run, session, to_onnx
from streamops_training.frame import MISSING_CATEGORY, Frame, to_frame
from tests.benchmarks.training_data import in_memory, labelled_stream
from tests.support.pipelines import FRAUD

#: Labelled rows the models are fitted on (a fit of the forest takes ~10 s).
ROWS = 50_000
#: Benchmark name -> (spec algorithm, estimator params).
ALGORITHMS: dict[str, tuple[str, dict[str, Any]]] = {
    "rf": ("random_forest", {"n_estimators": 100, "max_depth": 10}),
    "lr": ("logistic_regression", {"max_iter": 1000}),
}
DESCRIPTIONS = {"rf": "random forest, 100 trees, depth 10", "lr": "logistic regression"}


@dataclass(frozen=True)
class ServedModel:
    """One fitted model's files, features and the request every server gets."""

    key: str  # "rf" or "lr"; also the model's name on every server
    description: str
    joblib_path: Path  # the fitted scikit-learn Pipeline
    onnx_path: Path  # the same pipeline as ONNX (`to_onnx`)
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    body: bytes  # the one-row V2 inference request (JSON)
    score: float  # P(fraud) of that row, as the fitted pipeline computes it

    @property
    def features(self) -> tuple[str, ...]:
        """The model's inputs, numeric first: the ONNX graph's and the request's order."""
        return (*self.numeric, *self.categorical)


def fit_models(directory: Path, rows: int = ROWS) -> list[ServedModel]:
    """Each model of `ALGORITHMS` fitted on the same data, its files under ``directory``."""
    pipeline = load_pipeline(FRAUD)
    frame = to_frame(in_memory(pipeline, labelled_stream(pipeline, rows)), "binary")
    row = _complete_row(frame)
    return [_fit(directory, key, frame, row) for key in ALGORITHMS]


def _fit(directory: Path, key: str, frame: Frame, row: int) -> ServedModel:
    algorithm, params = ALGORITHMS[key]
    spec = load_pipeline(FRAUD).spec.model
    assert spec is not None, "the fraud spec has a model section"
    model = spec.model_copy(update={"algorithm": algorithm, "params": params, "name": key})
    fitted = build_pipeline(model, "binary", frame)
    features = frame.data[list(frame.features)]  # served requests carry only the features
    fitted.fit(features, frame.data["label"].to_numpy())
    onnx_bytes = to_onnx(fitted, frame.numeric, frame.categorical, key)
    (directory / key).mkdir(parents=True, exist_ok=True)
    joblib_path = directory / key / "model.joblib"
    onnx_path = directory / key / "model.onnx"
    joblib.dump(fitted, joblib_path)
    onnx_path.write_bytes(onnx_bytes)
    (directory / key / "features.json").write_text(
        json.dumps({"numeric": frame.numeric, "categorical": frame.categorical})
    )
    one = features.iloc[row : row + 1].reset_index(drop=True)
    score = _agreed_score(fitted, onnx_bytes, one)
    return ServedModel(
        key,
        DESCRIPTIONS[key],
        joblib_path,
        onnx_path,
        frame.numeric,
        frame.categorical,
        request_body(frame, row),
        score,
    )


def _complete_row(frame: Frame) -> int:
    """The first fraud with every feature present (JSON has no NaN for a float input; a
    fraud's score is far from 0, where a wrong answer could pass for a right one)."""
    numeric = frame.data[list(frame.numeric)].notna().all(axis=1).to_numpy()
    categorical = (frame.data[list(frame.categorical)] != MISSING_CATEGORY).all(axis=1)
    fraud = frame.data["label"].to_numpy() == 1
    found = np.flatnonzero(numeric & categorical.to_numpy() & fraud)
    assert len(found) > 0, "no row with every feature present"
    return int(found[0])


def _agreed_score(fitted: SkPipeline, onnx_bytes: bytes, one: Any) -> float:
    """P(fraud) of the row by scikit-learn, checked against ONNX Runtime's."""
    expected = float(fitted.predict_proba(one)[0, 1])
    got = float(run(session(onnx_bytes), one)["probabilities"][0, 1])
    assert abs(expected - got) <= 1e-4, f"ONNX {got} vs scikit-learn {expected}"
    return expected


def request_body(frame: Frame, row: int) -> bytes:
    """One row as a V2 inference request: a ``[1, 1]`` input per feature (FP32 numbers,
    BYTES categories), decoded by MLServer's pandas codec (``content_type: pd``)."""
    values = frame.data.iloc[row]
    inputs = [
        {"name": n, "shape": [1, 1], "datatype": "FP32", "data": [float(values[n])]}
        for n in frame.numeric
    ]
    inputs += [
        {"name": n, "shape": [1, 1], "datatype": "BYTES", "data": [str(values[n])]}
        for n in frame.categorical
    ]
    return json.dumps({"parameters": {"content_type": "pd"}, "inputs": inputs}).encode()


def answers_score(response: Any, score: float, tolerance: float = 1e-4) -> bool:
    """Whether a server's JSON response holds the expected P(fraud) anywhere among its
    numbers (servers name and shape their outputs differently)."""
    if isinstance(response, dict):
        return any(answers_score(v, score, tolerance) for v in response.values())
    if isinstance(response, list):
        return any(answers_score(v, score, tolerance) for v in response)
    if isinstance(response, (int, float)) and not isinstance(response, bool):
        return math.isclose(float(response), score, abs_tol=tolerance)
    return False
