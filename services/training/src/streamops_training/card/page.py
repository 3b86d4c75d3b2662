"""The card's document as one self-contained HTML page.

Nothing is fetched: the style is inline, the plots are inline SVG (made by us from
matplotlib, so trusted), there is no script. Every user string goes through
`html.escape`.
"""

from __future__ import annotations

from html import escape

from streamops_training.card.blocks import Block, Bullets, Document, Paragraph, Table

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; color: #1d1d1f; margin: 0; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #ddd; padding: .2rem .5rem; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
th { background: #f4f4f6; }
td.pass { color: #0a6b2b; font-weight: 600; } td.fail { color: #b00020; font-weight: 600; }
figure { margin: .5rem 0 1.5rem; } figure svg { max-width: 100%; height: auto; }
figcaption, p.undefined { color: #555; font-style: italic; }
nav ol { columns: 2; }
"""
_VERDICTS = {"PASS": ' class="pass"', "FAIL": ' class="fail"'}


def _cell(text: str) -> str:
    return f"<td{_VERDICTS.get(text, '')}>{escape(text)}</td>"


def _block(block: Block) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{escape(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in block.items) + "</ul>"
    if isinstance(block, Table):
        head = "".join(f"<th>{escape(c)}</th>" for c in block.header)
        body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in block.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if block.svg is None:
        return f'<p class="undefined">{escape(block.note or block.title)}</p>'
    return f"<figure>{block.svg}<figcaption>{escape(block.title)}</figcaption></figure>"


def to_html(document: Document) -> str:
    """The whole card as an HTML page, ending with a newline."""
    title = escape(document.title)
    toc = "".join(
        f'<li><a href="#s{i}">{escape(s.title)}</a></li>'
        for i, s in enumerate(document.sections, 1)
    )
    sections = "\n".join(
        f'<section id="s{i}"><h2>{escape(s.title)}</h2>\n'
        + "\n".join(_block(b) for b in s.blocks)
        + "</section>"
        for i, s in enumerate(document.sections, 1)
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{title}</h1>\n<nav><ol>{toc}</ol></nav>\n{sections}\n</main>\n</body>\n</html>\n"
    )
