"""Bins of a reference profile, and live values counted on them.

A numeric feature is binned on the reference's quantile edges (``numeric.bin_edges``,
about ten bins of equal reference mass); values beyond the outer edges fall into the
outer bins, as the profile's own counts were made. A categorical feature has one bin per
category the profile lists and one for every other value. Nulls are left out of both
sides: how many values are missing is validation's ``null_rate``, not drift.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

OTHER = "__other__"


@dataclass(frozen=True)
class Binning:
    """How one feature's values are counted, and the reference's share of each bin."""

    name: str
    numeric: bool
    expected: np.ndarray
    reference_count: int
    inner_edges: np.ndarray = field(default_factory=lambda: np.empty(0))
    points: np.ndarray = field(default_factory=lambda: np.empty(0))
    scale: float = 1.0
    categories: Mapping[str, int] = field(default_factory=dict)

    @property
    def bins(self) -> int:
        return len(self.expected)

    def count(self, values: Iterable[Any]) -> list[int]:
        """Counts per bin of the non-null ``values``."""
        if self.numeric:
            present = np.asarray(list(values), dtype=np.float64)  # None becomes NaN
            present = present[~np.isnan(present)]
            index = np.searchsorted(self.inner_edges, present, side="right")
            return [int(c) for c in np.bincount(index, minlength=self.bins)]
        counts = [0] * self.bins
        other = self.bins - 1
        for v in values:
            if v is not None:
                counts[self.categories.get(str(v), other)] += 1
        return counts


def binning(profile: Mapping[str, Any]) -> Binning | None:
    """The Binning of a ModelVersion FeatureProfile; None if the reference saw no value."""
    name, count = profile["name"], int(profile["count"])
    if count == 0:
        return None
    if profile["kind"] == "NUMERIC":
        stats = profile["numeric"]
        edges = np.asarray(stats["bin_edges"], dtype=np.float64)
        counts = np.asarray(stats["bin_counts"], dtype=np.float64)
        return Binning(
            name,
            True,
            counts / counts.sum(),
            count,
            inner_edges=edges[1:-1],
            points=(edges[:-1] + edges[1:]) / 2,
            scale=float(stats["std"]) or 1.0,
        )
    top = profile["categorical"]
    frequencies = dict(top["frequencies"])
    counts = np.asarray([*frequencies.values(), top["other_count"]], dtype=np.float64)
    return Binning(
        name,
        False,
        counts / counts.sum(),
        count,
        categories={str(v): i for i, v in enumerate(frequencies)},
    )


def labels_of(b: Binning) -> list[str]:
    """Readable names of the bins, for alert details: ``[a, b)`` or the category."""
    if b.numeric:
        edges = ["-inf", *(f"{e:.4g}" for e in b.inner_edges), "inf"]
        return [f"[{lo}, {hi})" for lo, hi in itertools.pairwise(edges)]
    return [*b.categories, OTHER]
