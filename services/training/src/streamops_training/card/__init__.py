"""Model cards (Mitchell et al. 2019): one per model version, as Markdown and as a
self-contained HTML page with plots, rendered from `CardInputs` without Kafka.

The public API is `CardInputs` (with its parts), `render_card` and `write_card`.
"""

from streamops_training.card.inputs import (
    CardInputError,
    CardInputs,
    ChampionComparison,
    DatasetIdentity,
    GateVerdict,
    OffsetRange,
    TrainingWindow,
)
from streamops_training.card.render import Card, render_card, write_card

__all__ = [
    "Card",
    "CardInputError",
    "CardInputs",
    "ChampionComparison",
    "DatasetIdentity",
    "GateVerdict",
    "OffsetRange",
    "TrainingWindow",
    "render_card",
    "write_card",
]
