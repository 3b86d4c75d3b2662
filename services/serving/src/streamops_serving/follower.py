"""Follows a model's registry live and swaps the line-up the scorer serves.

A version is read from the log, checked against its SHA-256, loaded and warmed before the
new `Lineup` is swapped in with one assignment, so no request waits for a load and none
sees a half-loaded model; promotion and rollback take the same path. A version the online
view cannot feed (a feature it does not compute) or whose artifact does not load is
refused: logged, counted, and the line-up stays as it was.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from streamops.registry import ModelRegistry, RegistryError
from streamops_serving.lineup import Deployed, Lineup
from streamops_serving.metrics import ServingMetrics
from streamops_serving.runtime.base import ModelLoadError, ModelRuntime, Task
from streamops_serving.runtime.onnx import OnnxRuntime
from streamops_serving.scoring import Scorer

log = logging.getLogger("streamops.serving")
#: A replaced version is unloaded this long after the swap: requests that took the old
#: line-up just before it finish on it.
UNLOAD_AFTER_S = 10.0
_TASKS: dict[str, Task] = {
    "BINARY_CLASSIFICATION": "BINARY_CLASSIFICATION",
    "MULTICLASS_CLASSIFICATION": "MULTICLASS_CLASSIFICATION",
    "REGRESSION": "REGRESSION",
}
RuntimeFactory = Callable[[Task, str], ModelRuntime]


class RefusedModel(Exception):
    """A version this server will not serve, with the reason."""


@dataclass(frozen=True)
class Refusal:
    version: int
    reason: str


class ModelFollower:
    """Keeps `scorer.lineup` equal to the registry's roles of one model."""

    def __init__(
        self,
        model_name: str,
        registry: ModelRegistry,
        scorer: Scorer,
        features: Collection[str],
        metrics: ServingMetrics,
        runtime_factory: RuntimeFactory = OnnxRuntime,
    ) -> None:
        self.model_name = model_name
        self.registry = registry
        self.scorer = scorer
        self.features = frozenset(features)
        self.metrics = metrics
        self.refused: dict[int, Refusal] = {}
        self._runtime_factory = runtime_factory
        self._retiring: list[tuple[float, Deployed]] = []
        self._unsettled = False  # a version could not be read: sync again
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="model-follower", daemon=True)

    def start(self) -> None:
        """Load what the registry serves now, then follow it in a thread."""
        self.registry.refresh()
        self.sync()
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def sync(self) -> bool:
        """Bring the line-up to the registry's roles now; whether it changed."""
        state = self.registry.state.models.get(self.model_name)
        old = self.scorer.lineup
        if state is None:
            return False
        loaded = old.loaded()
        champion = self._deployed(state.champion, loaded) or old.champion
        shadow = self._deployed(state.challenger, loaded)
        canary = self._deployed(state.canary, loaded)
        new = Lineup(
            self.model_name,
            champion,
            shadow,
            canary,
            (state.canary_weight or 0.0) if canary is not None else 0.0,
        )
        if new == old:
            return False
        self.scorer.lineup = new
        kept = {d.version for d in (champion, shadow, canary) if d is not None}
        now = time.monotonic()
        self._retiring += [(now, d) for v, d in loaded.items() if v not in kept]
        m = self.metrics
        m.swaps.labels(m.pipeline, self.model_name).inc()
        for role, d in (("CHAMPION", champion), ("SHADOW", shadow), ("CHALLENGER", canary)):
            m.serving_version.labels(m.pipeline, self.model_name, role).set(d.version if d else 0)
        log.info(
            "serving %s: champion v%s, shadow v%s, canary v%s (weight %.2f)",
            self.model_name,
            _number(champion),
            _number(shadow),
            _number(canary),
            new.canary_weight,
        )
        return True

    def describe(self) -> dict[str, Any]:
        """The line-up and the refusals, for the admin route."""
        lineup = self.scorer.lineup

        def one(d: Deployed | None) -> dict[str, Any] | None:
            if d is None:
                return None
            return {
                "version": d.version,
                "task": d.record["task"],
                "decision_threshold": d.record["decision_threshold"],
                "load_seconds": round(d.load_seconds, 4),
                "features": list(d.record["feature_names"]),
            }

        return {
            "model": self.model_name,
            "champion": one(lineup.champion),
            "shadow": one(lineup.shadow),
            "canary": one(lineup.canary),
            "canary_weight": lineup.canary_weight,
            "refused": [{"version": r.version, "reason": r.reason} for r in self.refused.values()],
        }

    def _follow(self) -> None:
        while not self._stop.is_set():
            try:
                changes = self.registry.poll(1.0)
            except RegistryError as exc:  # the cluster is away: keep serving what is loaded
                log.warning("serving %s: registry: %s", self.model_name, exc)
                self._stop.wait(2)
                continue
            if self._unsettled or any(c.model_name == self.model_name for c in changes):
                self._unsettled = False
                self.sync()
            self._unload_retired()

    def _deployed(self, version: int | None, loaded: dict[int, Deployed]) -> Deployed | None:
        if version is None or version in self.refused:
            return None
        if version in loaded:
            return loaded[version]
        try:
            return self._load(version)
        except RegistryError as exc:  # the cluster, not the version: tried again next poll
            log.warning("serving %s: v%d not loaded yet: %s", self.model_name, version, exc)
            self._unsettled = True
            return None
        except (RefusedModel, ModelLoadError) as exc:
            self.refused[version] = Refusal(version, str(exc))
            m = self.metrics
            m.refused.labels(m.pipeline, self.model_name).inc()
            log.error("serving %s: v%d refused: %s", self.model_name, version, exc)
            return None

    def _load(self, version: int) -> Deployed:
        started = time.perf_counter()
        record = self.registry.version(self.model_name, version)
        task = _TASKS.get(record["task"])
        if task is None:
            raise RefusedModel(f"task {record['task']} is not one serving knows")
        missing = [f for f in record["feature_names"] if f not in self.features]
        if missing:
            raise RefusedModel(
                f"the online view does not compute {', '.join(missing)} (the features "
                "section of the spec this server runs has no such feature)"
            )
        runtime = self._runtime_factory(task, f"{self.model_name} v{version}")
        runtime.load(self.registry.load_artifact(self.model_name, version))
        unknown = [i.name for i in runtime.inputs if i.name not in record["feature_names"]]
        if unknown:
            raise RefusedModel(f"the graph takes inputs that are not its features: {unknown}")
        seconds = time.perf_counter() - started
        m = self.metrics
        m.load_seconds.labels(m.pipeline, self.model_name).observe(seconds)
        log.info("serving %s: v%d loaded and warmed in %.3f s", self.model_name, version, seconds)
        return Deployed(record, runtime, seconds)

    def _unload_retired(self) -> None:
        now, keep = time.monotonic(), []
        for since, deployed in self._retiring:
            if now - since >= UNLOAD_AFTER_S:
                deployed.runtime.unload()
            else:
                keep.append((since, deployed))
        self._retiring = keep


def _number(d: Deployed | None) -> str:
    return "-" if d is None else str(d.version)
