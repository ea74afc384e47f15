"""Encrypted PDFs: one that needs a password is skipped with that reason, one with an empty user password loads."""

from pathlib import Path

import pytest

from ragkit.errors import SkipFile
from ragkit.ingest import load_file
from tests.helpers import EXAMPLES_KB

pytestmark = pytest.mark.unit


def _encrypted(path: Path, user_password: str, algorithm: str) -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=EXAMPLES_KB / "travel-policy.pdf")
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm=algorithm)
    with path.open("wb") as handle:
        writer.write(handle)
    return path


@pytest.mark.parametrize("algorithm", ["AES-256", "AES-128", "RC4-128"])
def test_a_pdf_that_needs_a_password_is_skipped(tmp_path: Path, algorithm: str):
    with pytest.raises(SkipFile, match="^encrypted PDF: needs a password$"):
        load_file(_encrypted(tmp_path / "locked.pdf", "user-secret", algorithm))


def test_a_pdf_encrypted_with_an_empty_user_password_loads(tmp_path: Path):
    pages = load_file(_encrypted(tmp_path / "open.pdf", "", "AES-256"))
    assert [(p.page, p.label) for p in pages] == [(1, "page 1")]
    assert "60 euros" in pages[0].text
