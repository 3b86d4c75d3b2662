"""Which loaded versions answer: the champion, a shadow, a canary and its weight.

A `Lineup` is immutable; the model follower builds a new one and swaps it in with one
assignment, so a request sees either the old models or the new ones, never half of each.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from streamops.contracts.types import ModelVersion
from streamops_serving.runtime.base import ModelRuntime

Role = Literal["CHAMPION", "CHALLENGER", "SHADOW"]


@dataclass(frozen=True)
class Deployed:
    """A loaded, warmed model version."""

    record: ModelVersion
    runtime: ModelRuntime
    load_seconds: float

    @property
    def version(self) -> int:
        return self.record["version"]

    @property
    def threshold(self) -> float:
        """The binary decision threshold (0.5 when the version has none)."""
        found = self.record["decision_threshold"]
        return 0.5 if found is None else found


@dataclass(frozen=True)
class Lineup:
    """The versions of one model that serve, by role."""

    model_name: str
    champion: Deployed | None = None
    shadow: Deployed | None = None
    canary: Deployed | None = None
    canary_weight: float = 0.0

    def loaded(self) -> dict[int, Deployed]:
        """Every loaded version by number."""
        return {d.version: d for d in (self.champion, self.shadow, self.canary) if d is not None}

    def answering(self, entity_key: str) -> tuple[Deployed, Role] | None:
        """The version whose answer the caller gets for ``entity_key``, and its role."""
        if self.canary is not None and canary_bucket(self.model_name, entity_key) < (
            self.canary_weight
        ):
            return self.canary, "CHALLENGER"
        return (self.champion, "CHAMPION") if self.champion is not None else None


def canary_bucket(model_name: str, entity_key: str) -> float:
    """The entity's place in [0, 1) for canary splits: the same in every process and on
    every request (a hash, not a draw), so an entity sticks to one side; raising the weight
    keeps the entities already on the canary there."""
    digest = hashlib.blake2b(f"{model_name}\x00{entity_key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64
