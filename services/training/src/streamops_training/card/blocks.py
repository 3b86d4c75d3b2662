"""The card as a document of sections and blocks, which Markdown and HTML both render.

Text in blocks is plain (unescaped) text; each renderer escapes it for its own format,
so both formats carry the same sections and sentences.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Paragraph:
    """A sentence or a few."""

    text: str


@dataclass(frozen=True)
class Bullets:
    """An unordered list."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table of text cells, one header row."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Figure:
    """A plot: SVG text made by `plots`, or, when it is undefined, the sentence saying why."""

    title: str
    svg: str | None = None
    note: str | None = None


Block = Paragraph | Bullets | Table | Figure


@dataclass(frozen=True)
class Section:
    """A titled part of the card."""

    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    """The whole card: its title and sections, in order."""

    title: str
    sections: tuple[Section, ...]
