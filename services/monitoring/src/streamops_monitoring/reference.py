"""The champion's reference, and a thread that follows the registry for a new champion.

A `Reference` is what monitoring compares live data with: the champion version's
reference profile turned into bins (`streamops.drift`), its task, decision threshold and
holdout metrics. `ChampionFollower` reads ``{p}.models`` and ``{p}.deployments`` at
start-up and keeps following them; a promotion or rollback replaces the reference the
stage sees, atomically, between two batches' reads of it. A REFRESH of the champion
(`Reference.refresh`) asks the owner for a new reference: the shares counted in the next
window it judges on the same bins (`with_shares`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from streamops.contracts.types import ModelVersion
from streamops.drift import Binning, binning
from streamops.features import event_time_ms
from streamops.registry import ModelRegistry, RegistryError
from streamops.settings import KafkaSettings, SchemaRegistrySettings

log = logging.getLogger(__name__)

_TASKS = {
    "BINARY_CLASSIFICATION": "binary",
    "MULTICLASS_CLASSIFICATION": "multiclass",
    "REGRESSION": "regression",
}


@dataclass(frozen=True)
class Reference:
    """One champion version as monitoring uses it."""

    model_name: str
    version: int
    task: str  # binary, multiclass, regression
    threshold: float | None
    metrics: dict[str, float]
    features: dict[str, Binning]
    prediction: Binning | None
    record_count: int = 0
    feature_names: list[str] = field(default_factory=list)
    #: event time (ms) after the newest row the version was trained or evaluated on
    trained_until: int = 0
    #: the deployment_id of the version's latest REFRESH; None: its training profile
    refresh: str | None = None
    #: the start (event time, ms) of the window whose shares the bins expect since that
    #: REFRESH (`with_shares`); None: the training profile's
    shares_from: int | None = None


def reference_of(record: ModelVersion | dict[str, Any], refresh: str | None = None) -> Reference:
    """The Reference of a ModelVersion record (and of its latest REFRESH, if any)."""
    profile = record["reference_profile"]
    features = {}
    for p in profile["features"]:
        b = binning(p)
        if b is not None:
            features[p["name"]] = b
    scores = profile.get("prediction")
    prediction = binning(scores) if scores else None
    return Reference(
        model_name=record["model_name"],
        version=record["version"],
        task=_TASKS.get(record["task"], "binary"),
        threshold=record.get("decision_threshold"),
        metrics=dict(record.get("metrics") or {}),
        features=features,
        prediction=prediction,
        record_count=int(profile["record_count"]),
        feature_names=list(record["feature_names"]),
        trained_until=event_time_ms(record["training_window"]["end"])
        if record.get("training_window")
        else 0,
        refresh=refresh,
    )


def with_shares(
    ref: Reference, features: Mapping[str, Any], prediction: Any | None, window: int
) -> Reference:
    """``ref`` whose bins expect the shares of the counts given (a refreshed reference:
    the traffic of the window starting at ``window``, on the same bins); a feature
    without counts keeps its own."""

    def shared(b: Binning, counts: Any) -> Binning:
        c = np.asarray(counts, dtype=np.float64)
        if len(c) != b.bins or c.sum() <= 0:
            return b
        return replace(b, expected=c / c.sum(), reference_count=int(c.sum()))

    bins = {n: shared(b, features[n]) if n in features else b for n, b in ref.features.items()}
    scores = ref.prediction
    if scores is not None and prediction is not None:
        scores = shared(scores, prediction)
    return replace(ref, features=bins, prediction=scores, shares_from=window)


class ChampionFollower:
    """Keeps ``current`` the champion's Reference (None while there is no champion)."""

    def __init__(
        self,
        pipeline: str,
        model_name: str,
        kafka: KafkaSettings,
        registry: SchemaRegistrySettings,
        *,
        timeout_s: float = 30.0,
    ) -> None:
        self.model_name = model_name
        self.registry = ModelRegistry(pipeline, kafka, registry, timeout_s=timeout_s)
        self.current: Reference | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Read the registry to its end (ClusterUnavailableError if it cannot), then follow."""
        self.registry.refresh()
        self._update()
        self._thread = threading.Thread(target=self._follow, name="champion", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.registry.close()

    def _follow(self) -> None:
        while not self._stop.is_set():
            try:
                if self.registry.poll(1.0):
                    self._update()
            except RegistryError as exc:  # the cluster is away: try again
                log.warning("following the registry: %s", exc)
                self._stop.wait(1.0)

    def _update(self) -> None:
        model = self.registry.state.models.get(self.model_name)
        version = model.champion if model is not None else None
        now = self.current
        if version is None or model is None:
            if now is not None:
                log.info("%s has no champion any more", self.model_name)
            self.current = None
            return
        refresh = model.refreshed.get(version)
        if now is not None and now.version == version and now.refresh == refresh:
            return
        self.current = reference_of(model.versions[version], refresh)
        if now is not None and now.version == version:
            log.info("%s:%d: its reference is refreshed (%s)", self.model_name, version, refresh)
            return
        log.info(
            "monitoring %s:%d against its reference of %d training rows%s",
            self.model_name,
            version,
            self.current.record_count,
            f", refreshed ({refresh})" if refresh else "",
        )
