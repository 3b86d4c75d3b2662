"""The MLServer peers, in their own venv: the scikit-learn runtime users pick, and a
minimal custom runtime on the same ONNX graph (`onnx_runtime`, MLServer's own overhead).

The venv (``.cache/bench/mlserver``) holds MLServer and its scikit-learn runtime at
`MLSERVER`, and the scikit-learn, ONNX Runtime, numpy, scipy, pandas and joblib versions
of the project's venv (uv.lock's), so the joblib pickle and the graph load as fitted. uv
creates it once; a stamp of the requirements makes a change of pins rebuild it.

Each server runs in one process: ``parallel_workers: 0`` (the default pool of workers
crashes on start here), ``debug: false`` (no access log line per request, as one runs it
in production), metrics on (the default).
"""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.benchmarks.serving.models import ServedModel
from tests.benchmarks.serving.server import ServerUnderTest, free_port

REPO = Path(__file__).resolve().parents[3]
VENV = REPO / ".cache" / "bench" / "mlserver"
UV = REPO / ".cache" / "tools" / "bin" / "uv"
MLSERVER = "1.7.1"
#: Packages whose versions must be the project venv's: the pickle and the graph need them.
SAME_AS_PROJECT = ("scikit-learn", "onnxruntime", "numpy", "scipy", "pandas", "joblib")


def requirements() -> list[str]:
    """MLServer and its sklearn runtime, and `SAME_AS_PROJECT` at the project's versions."""
    pins = [f"mlserver=={MLSERVER}", f"mlserver-sklearn=={MLSERVER}"]
    return pins + [f"{p}=={importlib.metadata.version(p)}" for p in SAME_AS_PROJECT]


def ensure_venv() -> Path:
    """The MLServer venv's ``python``, the venv created or updated first if needed."""
    wanted = "\n".join(requirements())
    stamp = VENV / ".requirements"
    python = VENV / "bin" / "python"
    if stamp.exists() and stamp.read_text() == wanted and python.exists():
        return python
    if not UV.exists():
        raise FileNotFoundError(f"{UV} is missing: run `make setup` first")
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([UV, "venv", "--quiet", "--python", _base_python(), VENV], check=True)
    subprocess.run(
        [UV, "pip", "install", "--quiet", "--python", python, *requirements()], check=True
    )
    stamp.write_text(wanted)
    return python


def _base_python() -> str:
    """The interpreter the project's venv was made from (a venv's own python would do, but
    ties the new venv to this one)."""
    return str(getattr(sys, "_base_executable", sys.executable))


def sklearn_peer(python: Path, model: ServedModel, directory: Path) -> ServerUnderTest:
    """MLServer's scikit-learn runtime on the fitted pipeline (joblib), answering
    ``predict_proba`` (the score, as the other servers)."""
    settings = {
        "name": model.key,
        "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {"uri": str(model.joblib_path), "extra": {"predict_fn": "predict_proba"}},
    }
    return _peer("mlserver-sklearn", python, model, directory / "sklearn", settings)


def onnx_peer(python: Path, model: ServedModel, directory: Path) -> ServerUnderTest:
    """MLServer with the minimal `onnx_runtime` on the model's ONNX graph."""
    settings = {
        "name": model.key,
        "implementation": "onnx_runtime.OnnxModel",
        "parameters": {"uri": str(model.onnx_path)},
    }
    server = _peer("mlserver-onnx", python, model, directory / "onnx", settings)
    shutil.copy(Path(__file__).with_name("onnx_runtime.py"), directory / "onnx" / model.key)
    return server


def _peer(
    name: str, python: Path, model: ServedModel, root: Path, settings: Mapping[str, Any]
) -> ServerUnderTest:
    """An MLServer serving one model from ``root/<model>/``, on ports free now."""
    http = free_port()
    server_settings = {
        "http_port": http,
        "grpc_port": free_port(),
        "metrics_port": free_port(),
        "parallel_workers": 0,
        "debug": False,
    }
    (root / model.key).mkdir(parents=True, exist_ok=True)
    (root / "settings.json").write_text(json.dumps(server_settings))
    (root / model.key / "model-settings.json").write_text(json.dumps(settings))
    base = f"http://127.0.0.1:{http}"
    return ServerUnderTest(
        name=name,
        command=[str(python.parent / "mlserver"), "start", str(root)],
        url=f"{base}/v2/models/{model.key}/infer",
        ready_url=f"{base}/v2/health/ready",
        cwd=root,
        env={"OMP_NUM_THREADS": "1"},
    )
