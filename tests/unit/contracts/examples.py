"""One realistic record per platform contract, typed with the generated TypedDicts.

Writing them through fastavro in the tests shows the schemas and the types agree.
"""

from __future__ import annotations

import datetime
import hashlib

from streamops.contracts.ids import prediction_id
from streamops.contracts.types import (
    Alert,
    ControlRequest,
    DataQualityReport,
    DeadLetter,
    Deployment,
    FeatureProfile,
    Label,
    ModelChunk,
    ModelVersion,
    MonitoringPartial,
    Prediction,
    TrainingRun,
)

T0 = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
T1 = T0 + datetime.timedelta(hours=1)
ONNX = b"\x08\x09fake-onnx-model-proto"

LABEL: Label = {
    "pipeline": "fraud",
    "event_id": "tx-1",
    "entity_key": "card-7",
    "value": 1.0,
    "event_time": T0,
    "label_time": T1,
    "source": "chargebacks",
}

PREDICTION: Prediction = {
    "prediction_id": prediction_id("fraud", "tx-1", "fraud-gbm", 3, "CHAMPION"),
    "pipeline": "fraud",
    "event_id": "tx-1",
    "entity_key": "card-7",
    "model_name": "fraud-gbm",
    "model_version": 3,
    "served_by": "CHAMPION",
    "score": 0.93,
    "probabilities": {"fraud": 0.93, "legit": 0.07},
    "predicted_label": "fraud",
    "latency_seconds": 0.0021,
    "event_time": T0,
    "predicted_at": T0 + datetime.timedelta(milliseconds=40),
    "features": {"amount": 912.5, "country": "FR", "card_present": None},
    "feature_ref": {"topic": "fraud.features", "partition": 2, "offset": 1042},
    "source": "STREAM",
    "request_id": None,
}

ALERT: Alert = {
    "alert_id": "fraud:DATA_DRIFT:amount:psi:3:20260301T1200",
    "pipeline": "fraud",
    "kind": "DATA_DRIFT",
    "severity": "CRITICAL",
    "state": "OPEN",
    "subject": "amount",
    "statistic": "psi",
    "value": 0.31,
    "threshold": 0.2,
    "window": {"start": T0, "end": T1, "record_count": 5000},
    "model_name": "fraud-gbm",
    "model_version": 3,
    "message": "amount drifted (PSI 0.31 > 0.2) against fraud-gbm v3's reference.",
    "details": {"reference_mean": "88.1", "current_mean": "142.7"},
    "opened_at": T1,
    "emitted_at": T1,
}

AMOUNT_PROFILE: FeatureProfile = {
    "name": "amount",
    "kind": "NUMERIC",
    "count": 9990,
    "null_count": 10,
    "numeric": {
        "min": 0.5,
        "max": 4999.0,
        "mean": 88.1,
        "std": 120.4,
        "quantiles": [{"level": 0.5, "value": 42.0}, {"level": 0.99, "value": 900.0}],
        "bin_edges": [0.0, 50.0, 500.0, 5000.0],
        "bin_counts": [6000, 3500, 490],
    },
    "categorical": None,
}

MODEL_VERSION: ModelVersion = {
    "pipeline": "fraud",
    "model_name": "fraud-gbm",
    "version": 3,
    "created_at": T1,
    "task": "BINARY_CLASSIFICATION",
    "algorithm": "sklearn.ensemble.HistGradientBoostingClassifier",
    "framework": "scikit-learn==1.7.2",
    "onnx_model": ONNX,
    "onnx_sha256": hashlib.sha256(ONNX).hexdigest(),
    "signature": {
        "inputs": [{"name": "amount", "dtype": "float", "shape": [-1, 1]}],
        "outputs": [{"name": "probabilities", "dtype": "float", "shape": [-1, 2]}],
    },
    "feature_names": ["amount", "country"],
    "decision_threshold": 0.5,
    "metrics": {"auc": 0.94, "log_loss": 0.12},
    "training_window": {"start": T0, "end": T1, "train_count": 80000, "holdout_count": 20000},
    "reference_profile": {
        "record_count": 10000,
        "features": [
            AMOUNT_PROFILE,
            {
                "name": "country",
                "kind": "CATEGORICAL",
                "count": 10000,
                "null_count": 0,
                "numeric": None,
                "categorical": {"frequencies": {"FR": 6000, "DE": 3000}, "other_count": 1000},
            },
        ],
        "prediction": None,
    },
    "lineage": {
        "parent_version": 2,
        "training_data": [
            {"topic": "fraud.features", "partition": 0, "start_offset": 0, "end_offset": 50000},
            {"topic": "fraud.labels", "partition": 0, "start_offset": 0, "end_offset": 900},
        ],
        "code_version": "streamops-training 0.1.0",
        "spec_hash": hashlib.sha256(b"spec").hexdigest(),
        "trigger_alert_ids": ["fraud:DATA_DRIFT:amount:psi:3:20260301T1200"],
    },
    "onnx_chunks": 0,
    "onnx_size_bytes": len(ONNX),
    "run_id": "0190a3c2-5b7e-7000-8000-000000000003",
    "schema_ids": {"fraud.features": [12], "fraud.labels.valid": [7, 9]},
}

MODEL_CHUNK: ModelChunk = {
    "pipeline": "fraud",
    "model_name": "fraud-gbm",
    "version": 4,
    "onnx_sha256": hashlib.sha256(ONNX).hexdigest(),
    "index": 0,
    "count": 1,
    "data": ONNX,
}

TRAINING_RUN: TrainingRun = {
    "run_id": "0190a3c2-5b7e-7000-8000-000000000003",
    "pipeline": "fraud",
    "model_name": "fraud-gbm",
    "trigger": {
        "kind": "ALERT",
        "alert_ids": ["fraud:DATA_DRIFT:amount:psi:3:20260301T1200"],
        "detail": None,
    },
    "started_at": T0,
    "finished_at": T1,
    "outcome": "REJECTED",
    "reason": "pr_auc 0.801 does not beat the champion's 0.805 by the margin 0.005",
    "params": {"algorithm": "hist_gradient_boosting", "max_iter": "200", "seed": "7"},
    "metrics": {"train": {"pr_auc": 0.9}, "holdout": {"pr_auc": 0.801, "roc_auc": 0.97}},
    "dataset": {
        "ranges": [
            {"topic": "fraud.features", "partition": 0, "start_offset": 0, "end_offset": 50000}
        ],
        "schema_ids": {"fraud.features": [12]},
        "content_hash": hashlib.sha256(b"rows").hexdigest(),
        "cutoff": T1,
        "counts": {"rows": 50000, "holdout": 10000},
    },
    "code_version": "streamops-training 0.1.0",
    "spec_hash": hashlib.sha256(b"spec").hexdigest(),
    "durations_seconds": {"dataset": 3.2, "fit": 11.5, "export": 0.8, "evaluate": 1.1},
    "model_version": 5,
    "gates": [
        {
            "gate": "beats_champion_pr_auc",
            "passed": False,
            "value": 0.801,
            "threshold": 0.81,
            "detail": "short of the margin",
        }
    ],
}

DEPLOYMENT: Deployment = {
    "deployment_id": "5a2d7c1e-0000-4000-8000-000000000002",
    "pipeline": "fraud",
    "model_name": "fraud-gbm",
    "version": 4,
    "action": "PROMOTE",
    "role": "CHAMPION",
    "previous_champion_version": 3,
    "reason": "v4 beats v3 on the holdout auc by 0.012",
    "gates": [
        {
            "gate": "beats_champion_auc",
            "passed": True,
            "value": 0.952,
            "threshold": 0.94,
            "detail": None,
        },
        {"gate": "onnx_parity", "passed": True, "value": None, "threshold": None, "detail": None},
    ],
    "actor": "training",
    "decided_at": T1,
    "canary_weight": None,
    "run_id": "0190a3c2-5b7e-7000-8000-000000000003",
    "event_time": T1 - datetime.timedelta(minutes=5),
}

DATA_QUALITY_REPORT: DataQualityReport = {
    "pipeline": "fraud",
    "stage": "validation",
    "window": {"start": T0, "end": T1, "record_count": 5000},
    "valid_count": 4990,
    "invalid_count": 10,
    "rules": [
        {
            "rule": "range",
            "field": "amount",
            "evaluated": 5000,
            "failures": 10,
            "failure_rate": 0.002,
        }
    ],
    "fields": [
        {
            "field": "amount",
            "count": 5000,
            "null_count": 5,
            "null_rate": 0.001,
            "distinct_count": 3100,
            "min": -3.0,
            "max": 4999.0,
            "mean": 90.2,
        }
    ],
    "produced_at": T1,
    "partition": 2,
    "partitions": 6,
    "complete": True,
}

DEAD_LETTER: DeadLetter = {
    "stage": "validation",
    "source_topic": "fraud.events.raw",
    "source_partition": 0,
    "source_offset": 17,
    "source_timestamp": T0,
    "key": b"card-7",
    "value": b"\x00\x00\x00\x00\x01garbage",
    "error_kind": "VALIDATION",
    "reasons": [{"rule": "range", "field": "amount", "value": "-3.0", "message": "amount < 0"}],
    "dead_lettered_at": T1,
}

CONTROL_REQUEST: ControlRequest = {
    "request_id": "5a2d7c1e-0000-4000-8000-000000000009",
    "pipeline": "fraud",
    "action": "PAUSE_RETRAINING",
    "actor": "alice",
    "reason": "a known data incident until noon",
    "requested_at": T0,
}

MONITORING_PARTIAL: MonitoringPartial = {
    "pipeline": "fraud",
    "partition": 2,
    "partitions": 6,
    "model_name": "fraud-detector",
    "model_version": 3,
    "start": T0,
    "end": T1,
    "watermark": T1,
    "feature_count": 1200,
    "features": [{"name": "amount", "counts": [120, 118, 122, 119, 121, 120, 121, 119, 120, 120]}],
    "prediction_count": 1200,
    "scores": {"name": "score", "counts": [600, 300, 200, 100]},
    "score_histogram": [1000, 150, 50] + [0] * 97,
    "outcomes": [
        {
            "known_at": T1,
            "model_version": 3,
            "role": "CHAMPION",
            "score": 0.91,
            "predicted": "1",
            "label": "1",
            "event_time": T0,
        }
    ],
    "late_count": 0,
    "produced_at": T1,
}

#: Every example by schema name.
EXAMPLES: dict[str, object] = {
    "Alert": ALERT,
    "ControlRequest": CONTROL_REQUEST,
    "DataQualityReport": DATA_QUALITY_REPORT,
    "DeadLetter": DEAD_LETTER,
    "Deployment": DEPLOYMENT,
    "Label": LABEL,
    "ModelChunk": MODEL_CHUNK,
    "ModelVersion": MODEL_VERSION,
    "MonitoringPartial": MONITORING_PARTIAL,
    "Prediction": PREDICTION,
    "TrainingRun": TRAINING_RUN,
}
