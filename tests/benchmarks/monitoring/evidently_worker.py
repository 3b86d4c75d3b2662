"""Evidently's side of the drift benchmark, run in its own venv (`evidently_peer`):

    python evidently_worker.py DATA.npz

Reads the reference and the windows that `windows.save` wrote, builds their pandas
frames and the reference's Dataset once (not timed), runs one untimed report to warm up,
then answers each ``pass`` line on stdin with one JSON line: per window, the seconds of
``Dataset.from_pandas`` + ``Report([DataDriftPreset()]).run`` (what a user calls per
window), the drifted columns (per-column score at or beyond its threshold), their share,
and the dataset-drift verdict (share >= the preset's ``drift_share``, 0.5 by default).
Imports nothing of streamops: this venv holds Evidently and pandas 2 only.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import numpy as np
import pandas as pd
from evidently import DataDefinition, Dataset, Report  # type: ignore[import-not-found]
from evidently.presets import DataDriftPreset  # type: ignore[import-not-found]


def _frames(path: str) -> tuple[pd.DataFrame, list[pd.DataFrame], DataDefinition]:
    data = np.load(path)
    numeric, categorical = list(data["numeric"]), list(data["categorical"])
    columns = numeric + categorical
    windows = sorted(
        {k.split("/")[0] for k in data.files if k.startswith("w")}, key=lambda w: int(w[1:])
    )
    ref = pd.DataFrame({c: data[f"ref/{c}"] for c in columns})
    found = [pd.DataFrame({c: data[f"{w}/{c}"] for c in columns}) for w in windows]
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    return ref, found, definition


def _verdict(snapshot: Any, drift_share: float) -> dict[str, Any]:
    """Drifted columns, their share and the dataset verdict, from the snapshot's metrics."""
    drifted, share = [], 0.0
    for m in snapshot.dict()["metrics"]:
        config = m["config"]
        if config["type"].endswith(":ValueDrift") and m["value"] >= config["threshold"]:
            drifted.append(config["column"])
        if config["type"].endswith(":DriftedColumnsCount"):
            share = float(m["value"]["share"])
    return {"columns": drifted, "share": share, "dataset_drift": share >= drift_share}


def main(path: str) -> None:
    ref, windows, definition = _frames(path)
    reference = Dataset.from_pandas(ref, data_definition=definition)
    preset = DataDriftPreset()
    Report([preset]).run(Dataset.from_pandas(windows[0], data_definition=definition), reference)
    print(json.dumps({"ready": True, "windows": len(windows)}), flush=True)
    for line in sys.stdin:
        if line.strip() != "pass":
            break
        seconds, verdicts = [], []
        for frame in windows:
            started = time.perf_counter()
            current = Dataset.from_pandas(frame, data_definition=definition)
            snapshot = Report([DataDriftPreset()]).run(current, reference)
            seconds.append(time.perf_counter() - started)
            verdicts.append(_verdict(snapshot, preset.drift_share))
        print(json.dumps({"seconds": seconds, "verdicts": verdicts}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
