"""The fixed data of the drift benchmark: a 5,000-row reference and 1,000-row windows of
nine columns (seven numeric, two categorical), some windows with two columns drifted.

Every row is drawn with numpy from one seed per window, so both contenders see the same
values: streamops as record dicts (what the monitoring service counts), Evidently as a
pandas frame built from the same columns (`save` writes them for its process). The
reference profile is made the way training makes it (`streamops_training.profile`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from streamops_monitoring.reference import Reference, reference_of
from streamops_training.profile import categorical_profile, numeric_profile

REFERENCE_ROWS = 5_000
WINDOW_ROWS = 1_000
CHANNELS = np.array(["pos", "web", "mobile", "atm"])
CHANNEL_P = np.array([0.5, 0.3, 0.15, 0.05])
COUNTRIES = np.array(["DE", "FR", "NL", "IT", "ES", "BE", "AT", "PL", "SE", "DK", "PT", "IE"])
COUNTRY_P = np.array([0.3, 0.2, 0.12, 0.1, 0.08, 0.06, 0.04, 0.03, 0.03, 0.02, 0.01, 0.01])
Draw = Callable[[np.random.Generator, int, bool], np.ndarray]

#: column -> how to draw n values, stable (False) or drifted (True)
NUMERIC: dict[str, Draw] = {
    "amount": lambda g, n, d: g.lognormal(3.5 + (0.5 if d else 0.0), 1.0, n),
    "amount_zscore": lambda g, n, d: g.normal(0.5 if d else 0.0, 1.0, n),
    "items": lambda g, n, d: (g.poisson(4.2 if d else 3.0, n) + 1).astype(np.float64),
    "account_age_days": lambda g, n, d: g.gamma(2.0, 300.0 if d else 200.0, n),
    "distance_km": lambda g, n, d: g.lognormal(2.0 + (0.6 if d else 0.0), 1.2, n),
    "seconds_since_previous": lambda g, n, d: g.exponential(3600.0, n),
    "merchant_risk": lambda g, n, d: g.beta(2.0, 5.0, n),
}
CATEGORICAL: dict[str, Draw] = {
    "channel": lambda g, n, d: g.choice(CHANNELS, n, p=[0.3, 0.3, 0.2, 0.2] if d else CHANNEL_P),
    # drifted: a fifth of the traffic from a country the reference never saw
    "country": lambda g, n, d: np.where(
        g.random(n) < (0.2 if d else 0.0), "US", g.choice(COUNTRIES, n, p=COUNTRY_P)
    ),
}
COLUMNS = [*NUMERIC, *CATEGORICAL]
#: the drifted pairs: two of nine columns each, numbers, categories and both
PAIRS = [
    ("amount", "amount_zscore"),
    ("account_age_days", "distance_km"),
    ("items", "channel"),
    ("channel", "country"),
]


@dataclass(frozen=True)
class DriftWindow:
    """One window: its name, the columns drifted in it, and its values by column."""

    name: str
    drifted: frozenset[str]
    columns: dict[str, np.ndarray]

    def records(self) -> list[dict[str, Any]]:
        """The window as the decoded feature records the monitoring service counts."""
        lists = {c: v.tolist() for c, v in self.columns.items()}
        return [{c: lists[c][i] for c in COLUMNS} for i in range(len(lists[COLUMNS[0]]))]


def draw(seed: int, n: int, drifted: frozenset[str] = frozenset()) -> dict[str, np.ndarray]:
    """``n`` rows, column by column; the columns in ``drifted`` from their moved law."""
    g = np.random.default_rng(seed)
    laws = {**NUMERIC, **CATEGORICAL}
    return {c: laws[c](g, n, c in drifted) for c in COLUMNS}


def windows(stable: int = 4, per_pair: int = 2) -> list[DriftWindow]:
    """``stable`` windows like the reference, then ``per_pair`` windows of each `PAIRS`."""
    out = [
        DriftWindow(f"stable-{i}", frozenset(), draw(100 + i, WINDOW_ROWS)) for i in range(stable)
    ]
    for p, pair in enumerate(PAIRS):
        for i in range(per_pair):
            cols = frozenset(pair)
            out.append(
                DriftWindow(
                    f"{'+'.join(pair)}-{i}", cols, draw(200 + 10 * p + i, WINDOW_ROWS, cols)
                )
            )
    return out


def reference_columns() -> dict[str, np.ndarray]:
    """The reference's 5,000 rows, column by column."""
    return draw(1, REFERENCE_ROWS)


def reference(columns: dict[str, np.ndarray]) -> Reference:
    """A champion whose reference profile is ``columns``, profiled as training does."""
    profiles = [numeric_profile(c, columns[c]) for c in NUMERIC]
    profiles += [categorical_profile(c, columns[c]) for c in CATEGORICAL]
    return reference_of(
        {
            "model_name": "bench",
            "version": 1,
            "task": "BINARY_CLASSIFICATION",
            "decision_threshold": 0.5,
            "metrics": {},
            "feature_names": COLUMNS,
            "reference_profile": {
                "record_count": REFERENCE_ROWS,
                "features": profiles,
                "prediction": None,
            },
        }
    )


def save(path: Path, ref: dict[str, np.ndarray], found: list[DriftWindow]) -> None:
    """The reference and the windows as one .npz for the Evidently process: ``ref/<col>``,
    ``w<i>/<col>``, and ``numeric``/``categorical`` (the column names)."""
    arrays: dict[str, np.ndarray] = {f"ref/{c}": v for c, v in ref.items()}
    for i, w in enumerate(found):
        arrays.update({f"w{i}/{c}": v for c, v in w.columns.items()})
    arrays["numeric"] = np.array(list(NUMERIC))
    arrays["categorical"] = np.array(list(CATEGORICAL))
    np.savez(path, **arrays)  # type: ignore[arg-type]
