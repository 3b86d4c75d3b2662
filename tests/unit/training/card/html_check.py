"""An HTML reader for the card tests: tags, attributes, text, and whether tags balance."""

from __future__ import annotations

from html.parser import HTMLParser

#: Elements with no end tag in HTML.
VOID = {"meta", "link", "br", "img", "hr", "input", "source", "col", "area", "base", "wbr"}


class Page(HTMLParser):
    """Reads a whole page; `problems` lists end tags that do not close the open element."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.starts: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1] if self.open else 'nothing'}")
            return
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def count(self, tag: str) -> int:
        """How many elements ``tag`` the page has."""
        return sum(1 for t, _ in self.starts if t == tag)

    def external_references(self) -> list[str]:
        """Attribute values that would make a browser fetch something (src, href, ...)."""
        fetching = {"src", "href", "xlink:href", "srcset", "action", "data", "poster"}
        return [
            f"<{tag} {name}={value}>"
            for tag, attrs in self.starts
            for name, value in attrs.items()
            if name in fetching and value and not value.startswith(("#", "data:"))
        ]
