"""Reference profiles for monitoring tests, made as training makes them
(`streamops_training.profile`) from features records and a model's scores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from streamops.pipeline import Pipeline
from streamops_training.frame import MISSING_CATEGORY
from streamops_training.profile import categorical_profile, numeric_profile
from tests.support.serving import feature_kinds


def reference_profile(
    pipeline: Pipeline, records: Sequence[dict[str, Any]], scores: np.ndarray
) -> dict[str, Any]:
    """The ReferenceProfile of ``records`` (features records), with ``scores`` as the
    prediction's profile."""
    numeric, categorical = feature_kinds(pipeline)
    features = [
        numeric_profile(
            name, np.asarray([np.nan if r[name] is None else r[name] for r in records], float)
        )
        for name in numeric
    ]
    features += [
        categorical_profile(
            name,
            np.asarray([MISSING_CATEGORY if r[name] is None else r[name] for r in records]),
        )
        for name in categorical
    ]
    return {
        "record_count": len(records),
        "features": features,
        "prediction": numeric_profile("score", np.asarray(scores, float)),
    }
