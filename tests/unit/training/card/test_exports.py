"""The card package's public API is deliberate: exactly these names."""

from __future__ import annotations

import streamops_training.card as card


def test_the_public_names() -> None:
    assert sorted(card.__all__) == [
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
    assert all(getattr(card, name) is not None for name in card.__all__)
