"""Matplotlib figures as deterministic SVG text to inline in one HTML page.

The backend is Agg, set explicitly: a service has no display. Figures are made with
`matplotlib.figure.Figure`, never pyplot, so no global figure manager keeps them alive.
The same figure gives the same bytes: a fixed ``svg.hashsalt``, no date in the metadata
(the whole <metadata> element is dropped), glyphs as paths (no font is needed to view).
Each SVG's ids get the figure's prefix, as several SVGs share one HTML document's ids.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable
from typing import Any

import matplotlib

matplotlib.use("Agg")

# imported after the backend is chosen
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType

_STYLE: dict[RcKeyType, Any] = {
    "svg.hashsalt": "streamops-card",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "path.simplify": True,
}
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_ID = re.compile(r'\bid="([^"]+)"')
_LONGEST_LABEL = 40
# rc_context changes matplotlib's process-wide rcParams: two figures drawn at once from
# two threads (cards rendered off the promotion's path) would see each other's settings
_DRAWING = threading.Lock()


def label(text: str) -> str:
    """A user string as a plot label: shortened, and ``$`` not read as mathtext."""
    short = text if len(text) <= _LONGEST_LABEL else text[: _LONGEST_LABEL - 1] + "…"
    return short.replace("$", r"\$")


def render_svg(
    draw: Callable[[Figure], None], prefix: str, size: tuple[float, float] = (4.8, 3.4)
) -> str:
    """Draw on a new figure and return its ``<svg>`` element; ``prefix``: unique per page
    (letters, digits and dashes), put before each of its ids."""
    with _DRAWING, matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=size, layout="constrained")
        draw(figure)
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    text = out.getvalue()
    # the XML prolog and DOCTYPE (with the DTD's URL) do not belong inside HTML
    text = text[text.index("<svg") :]
    text = _METADATA.sub("", text)
    text = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', text)
    return text.replace('href="#', f'href="#{prefix}-').replace("url(#", f"url(#{prefix}-")
