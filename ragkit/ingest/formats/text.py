"""Plain text, Markdown and HTML: one page each."""

from __future__ import annotations

from pathlib import Path

from ragkit.ingest.decode import decode_text
from ragkit.ingest.page import Page


def load_text(path: Path) -> list[Page]:
    """The decoded text of a .txt or .md file."""
    return [Page(decode_text(path.read_bytes()))]


def load_html(path: Path) -> list[Page]:
    """Visible text of an HTML page, scripts and styles removed, one block per line."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_text(path.read_bytes()), "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    lines = (line.strip() for line in soup.get_text("\n").splitlines())
    return [Page("\n".join(line for line in lines if line))]
