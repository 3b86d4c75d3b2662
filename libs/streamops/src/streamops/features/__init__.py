"""Per-entity window features in event time, shared by the features service and serving.

`feature_set` compiles a pipeline's ``features:`` section; `FeatureEngine` applies a batch
of events to a partition's state (the service); `OnlineView` rebuilds the entities' state
from the service's changelog and computes the vector of an event it has not seen (serving),
both with the same `WindowComputer`.
"""

from streamops.features.compute import WindowComputer, event_time_ms, utc_datetime
from streamops.features.definition import (
    RECORD_FIELDS,
    Feature,
    FeatureSet,
    feature_set,
    features_event_time,
)
from streamops.features.engine import STORE, FeatureEngine, feature_store
from streamops.features.view import FeatureVector, OnlineView

__all__ = [
    "RECORD_FIELDS",
    "STORE",
    "Feature",
    "FeatureEngine",
    "FeatureSet",
    "FeatureVector",
    "OnlineView",
    "WindowComputer",
    "event_time_ms",
    "feature_set",
    "feature_store",
    "features_event_time",
    "utc_datetime",
]
