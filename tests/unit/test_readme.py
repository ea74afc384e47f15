"""The README stays a ten-minute read with its map near the top, and no link of it or of docs/ points nowhere."""

import re
from pathlib import Path

import pytest

from tests.helpers import REPO

pytestmark = pytest.mark.unit

LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_readme_is_short_with_the_architecture_in_its_first_150_lines() -> None:
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines: move write-ups to docs/"
    assert "## Architecture" in lines[:150]


@pytest.mark.parametrize("page", [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))], ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    targets = [t for t in LINK.findall(page.read_text(encoding="utf-8")) if "://" not in t]
    assert [t for t in targets if not (page.parent / t).exists()] == []


def test_a_broken_link_is_found(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("see [a](missing.md#part) and [b](https://example.org/x.md)", encoding="utf-8")
    assert LINK.findall(page.read_text()) == ["missing.md", "https://example.org/x.md"]
