"""Bad scans end in a skip with a reason before any OCR: decompression bombs refused from the header, truncated and
corrupt images; a long scanned PDF is read one page at a time with progress per page, and a read stopped half-way
resumes from the OCR cache. OCR itself is replaced by a recorder here (tests/integration/test_ocr.py runs it)."""

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from ragkit.errors import SkipFile
from ragkit.ingest import load_file, ocr
from ragkit.ingest.scan import ocr_context

pytestmark = pytest.mark.unit


def _png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims width x height and whose pixel data is a few bytes (a decompression bomb's shape)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    return path


@pytest.fixture
def no_ocr(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, ...]]:
    """Shapes of the images handed to OCR; the engine itself is never loaded."""
    seen: list[tuple[int, ...]] = []

    def recognize(image: np.ndarray) -> str:
        seen.append(image.shape)
        return f"page text {len(seen)}"

    monkeypatch.setattr(ocr, "recognize", recognize)
    return seen


@pytest.mark.parametrize(("width", "height"), [(30_000, 30_000), (12_000, 12_000)])
def test_a_huge_png_is_refused_from_its_header(tmp_path: Path, no_ocr: list, width: int, height: int):
    with pytest.raises(SkipFile, match="larger than the 100,000,000-pixel limit .a possible decompression bomb"):
        load_file(_png_header_only(tmp_path / "bomb.png", width, height))
    assert no_ocr == []


def test_a_truncated_image_is_skipped_as_truncated(tmp_path: Path, no_ocr: list):
    from PIL import Image

    whole = tmp_path / "whole.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 300, 3), dtype=np.uint8)).save(whole)
    cut = tmp_path / "cut.png"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(SkipFile, match="corrupt or truncated image"):
        load_file(cut)
    assert no_ocr == []


@pytest.mark.parametrize("name", ["noise.jpg", "noise.png", "noise.tiff", "noise.webp", "noise.bmp"])
def test_bytes_that_are_no_image_are_skipped_as_corrupt(tmp_path: Path, name: str, no_ocr: list):
    path = tmp_path / name
    path.write_bytes(b"\x89PNG...." + bytes(range(256)) * 4)
    with pytest.raises(SkipFile, match="corrupt or unsupported image"):
        load_file(path)


def test_a_300_page_scanned_pdf_is_read_page_by_page_with_progress(tmp_path: Path, no_ocr: list):
    from PIL import Image

    pages = [Image.new("L", (60, 80), shade) for shade in range(300)]
    path = tmp_path / "long-scan.pdf"
    pages[0].save(path, "PDF", resolution=72, save_all=True, append_images=pages[1:])
    reported: list[tuple[int, int]] = []
    with ocr_context(progress=lambda file, done, total: reported.append((done, total))):
        loaded = load_file(path)
    assert [p.page for p in loaded] == list(range(1, 301)) and {p.ocr for p in loaded} == {"ran"}
    assert loaded[299].text == "page text 300" and loaded[299].label == "page 300"
    assert reported == [(n, 300) for n in range(1, 301)]
    assert len(no_ocr) == 300 and no_ocr[0] == (167, 126, 3)  # one page image at a time, rendered at 150 dpi


def test_a_scan_stopped_half_way_resumes_from_the_ocr_cache(tmp_path: Path, no_ocr: list,
                                                           monkeypatch: pytest.MonkeyPatch):
    from PIL import Image

    from ragkit.ingest.formats import pdf

    pages = [Image.new("L", (60, 80), shade) for shade in range(6)]
    path = tmp_path / "scan.pdf"
    pages[0].save(path, "PDF", resolution=72, save_all=True, append_images=pages[1:])
    render = pdf._render

    def killed_at_page_4(document: object, number: int) -> np.ndarray:
        if number == 4:
            raise KeyboardInterrupt  # the run is stopped while page 4 is rendered
        return render(document, number)

    monkeypatch.setattr(pdf, "_render", killed_at_page_4)
    with ocr_context(tmp_path / "ocr.sqlite"), pytest.raises(KeyboardInterrupt):
        load_file(path)
    assert len(no_ocr) == 3
    monkeypatch.setattr(pdf, "_render", render)
    with ocr_context(tmp_path / "ocr.sqlite"):
        loaded = load_file(path)
    assert [p.ocr for p in loaded] == ["cached"] * 3 + ["ran"] * 3 and len(no_ocr) == 6
    assert [p.text for p in loaded] == [f"page text {n}" for n in range(1, 7)]
