"""The card's document as Markdown (CommonMark with pipe tables).

User strings are plain text here: ``<``, ``>`` and ``&`` become entities (a model named
``<script>`` stays text in any renderer), and the characters that would start Markdown
syntax in a cell or a sentence (backslash, backtick, ``*``, ``[``, ``]``, ``|``) are
escaped with a backslash.
"""

from __future__ import annotations

import html
import re

from streamops_training.card.blocks import Block, Bullets, Document, Paragraph, Table

_SYNTAX = re.compile(r"([\\`*\[\]|])")
_SPACE = re.compile(r"\s+")


def escape(text: str) -> str:
    """Plain text as Markdown text on one line."""
    return _SYNTAX.sub(r"\\\1", html.escape(_SPACE.sub(" ", text).strip(), quote=False))


def _block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return escape(block.text)
    if isinstance(block, Bullets):
        return "\n".join(f"- {escape(item)}" for item in block.items)
    if isinstance(block, Table):
        lines = [
            "| " + " | ".join(escape(c) for c in block.header) + " |",
            "|" + "---|" * len(block.header),
            *("| " + " | ".join(escape(c) for c in row) + " |" for row in block.rows),
        ]
        return "\n".join(lines)
    if block.note is not None:
        return escape(block.note)
    return f"*{escape(block.title)}: plot in the HTML card.*"


def to_markdown(document: Document) -> str:
    """The whole card as Markdown text, ending with a newline."""
    parts = [f"# {escape(document.title)}"]
    for section in document.sections:
        parts.append(f"## {escape(section.title)}")
        parts.extend(_block(b) for b in section.blocks)
    return "\n\n".join(parts) + "\n"
