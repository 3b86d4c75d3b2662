"""A model version's card: rendered from `CardInputs` to Markdown and HTML, and written.

Rendering is pure (no Kafka, no clock): the same inputs give byte-identical files, so a
card rebuilt later from the log is the card that was written.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from streamops_training.card import evaluation, sections
from streamops_training.card.blocks import Document, Paragraph, Section
from streamops_training.card.inputs import CardInputs
from streamops_training.card.markdown import to_markdown
from streamops_training.card.page import to_html


@dataclass(frozen=True)
class Card:
    """A rendered card; ``stem`` names its files (``{model_name}-v{version}``)."""

    stem: str
    markdown: str
    html: str


def build_document(card: CardInputs) -> Document:
    """The card's sections, in the order both formats show them."""
    rows = evaluation.labelled(card)
    tables = evaluation.slice_tables(card, rows)
    files = Paragraph(f"The HTML card, with the plots: {card.file_stem}.html, beside this file.")
    return Document(
        f"Model card: {card.model_name} v{card.version} ({card.pipeline})",
        (
            sections.model_details(card),
            sections.intended_use(card),
            sections.training_data(card),
            sections.metrics(card),
            sections.gates(card),
            evaluation.holdout_plots(card, rows),
            evaluation.by_slice(card, rows, tables),
            evaluation.importance(card),
            evaluation.caveats(card, rows, tables),
            Section("Files", (files,)),
        ),
    )


def render_card(card: CardInputs) -> Card:
    """The version's card as Markdown and a self-contained HTML page."""
    document = build_document(card)
    return Card(card.file_stem, to_markdown(document), to_html(document))


def write_card(card: Card, directory: Path | str) -> tuple[Path, Path]:
    """Write ``{stem}.md`` and ``{stem}.html`` into ``directory`` (made if missing); each
    file is replaced whole, so a reader never sees half a card."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    paths = (target / f"{card.stem}.md", target / f"{card.stem}.html")
    for path, text in zip(paths, (card.markdown, card.html), strict=True):
        fd, temporary = tempfile.mkstemp(dir=target, prefix=f".{card.stem}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(temporary, path)
    return paths
