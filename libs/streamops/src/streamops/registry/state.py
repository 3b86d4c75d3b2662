"""The registry's state, rebuilt by applying the records of the registry topics in order.

Pure: no Kafka here. `RegistryState.apply_version` takes ModelVersion records (from
``{p}.models``), `RegistryState.apply_deployment` Deployment records (from
``{p}.deployments``, in log order). The log is the truth: every event is applied as it
was decided, even one that would be refused today (two operators deciding at once);
`streamops.registry.actions` is where decisions are checked before they are written.

How events move the roles of a model's versions:

- PROMOTE v: v becomes the champion; the champion before it is retired and remembered as
  a rollback target.
- ROLLBACK v: v (a remembered earlier champion) becomes the champion again; the bad
  champion and every target above v are forgotten, so the next rollback goes further back.
- RETIRE v: v stops serving and is no longer a rollback target.
- SHADOW v: v becomes the challenger (scored beside the champion, answers only logged).
- CANARY v: v answers ``canary_weight`` of the traffic.
- REFRESH v: the champion v keeps its role; monitoring compares live data with a new
  reference from then on (``refreshed``).
A version holds one role at a time: taking one clears its others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from streamops.contracts.types import Deployment, ModelVersion


@dataclass
class ModelState:
    """One model's versions, current roles and deployment history."""

    name: str
    pipeline: str = ""
    versions: dict[int, ModelVersion] = field(default_factory=dict)
    champion: int | None = None
    challenger: int | None = None
    canary: int | None = None
    canary_weight: float | None = None
    #: Earlier champions a rollback can return to, the most recent last.
    previous_champions: list[int] = field(default_factory=list)
    retired: set[int] = field(default_factory=set)
    #: Version -> the deployment_id of its latest REFRESH (monitoring's new reference).
    refreshed: dict[int, str] = field(default_factory=dict)
    #: Every deployment event of the model, in log order, duplicates left out.
    history: list[Deployment] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set, repr=False)

    def role(self, version: int) -> str | None:
        """CHAMPION, CANARY, CHALLENGER or RETIRED; None for a version never deployed."""
        if version == self.champion:
            return "CHAMPION"
        if version == self.canary:
            return "CANARY"
        if version == self.challenger:
            return "CHALLENGER"
        return "RETIRED" if version in self.retired else None

    @property
    def rollback_target(self) -> int | None:
        """The version a ROLLBACK without a version would make champion, if any."""
        return self.previous_champions[-1] if self.previous_champions else None

    @property
    def latest_version(self) -> int | None:
        """The highest published version number, None before the first."""
        return max(self.versions, default=None)

    def deployments_of(self, version: int) -> list[Deployment]:
        """The events about ``version``, in log order."""
        return [d for d in self.history if d["version"] == version]

    def apply(self, deployment: Deployment) -> bool:
        """Apply one event; False (and no change) for a duplicate deployment_id."""
        if deployment["deployment_id"] in self._seen:
            return False
        self._seen.add(deployment["deployment_id"])
        self.history.append(deployment)
        self.pipeline = self.pipeline or deployment["pipeline"]
        version, action = deployment["version"], deployment["action"]
        if action == "PROMOTE":
            self._crown(version, remember_old=True)
        elif action == "ROLLBACK":
            if version in self.previous_champions:
                del self.previous_champions[self.previous_champions.index(version) :]
            self._crown(version, remember_old=False)
        elif action == "RETIRE":
            self._clear(version)
            if version == self.champion:
                self.champion = None  # refused when decided; the log may still hold one
            self.previous_champions = [v for v in self.previous_champions if v != version]
            self.retired.add(version)
        elif action == "SHADOW" and version != self.champion:
            self._clear(version)
            self.challenger = version
        elif action == "CANARY" and version != self.champion:
            self._clear(version)
            self.canary, self.canary_weight = version, deployment.get("canary_weight")
        elif action == "REFRESH":
            self.refreshed[version] = deployment["deployment_id"]
        return True

    def _crown(self, version: int, *, remember_old: bool) -> None:
        old = self.champion
        if old is not None and old != version:
            self.retired.add(old)
            if remember_old:
                self.previous_champions.append(old)
        self._clear(version)
        self.previous_champions = [v for v in self.previous_champions if v != version]
        self.champion = version

    def _clear(self, version: int) -> None:
        """Take every role but champion away from ``version``."""
        self.retired.discard(version)
        if self.challenger == version:
            self.challenger = None
        if self.canary == version:
            self.canary, self.canary_weight = None, None


@dataclass
class RegistryState:
    """Every model of one pipeline, as the registry topics say."""

    models: dict[str, ModelState] = field(default_factory=dict)

    def model(self, name: str) -> ModelState:
        """The state of model ``name``, empty (and not stored) when nothing about it was read."""
        return self.models.get(name) or ModelState(name)

    def _writable(self, name: str) -> ModelState:
        return self.models.setdefault(name, ModelState(name))

    def apply_version(self, record: ModelVersion) -> None:
        """Record a published version (a republication replaces it); the inline artifact
        bytes of old records are dropped from memory (loaded from the topic when asked)."""
        state = self._writable(record["model_name"])
        state.pipeline = state.pipeline or record["pipeline"]
        state.versions[record["version"]] = {**record, "onnx_model": None}

    def apply_deployment(self, record: Deployment) -> bool:
        """Apply one deployment event to its model; False for a duplicate."""
        return self._writable(record["model_name"]).apply(record)
