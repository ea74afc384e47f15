"""Office Open XML files (.docx, .xlsx, .pptx) checked before a parser opens them, so a bomb is a skipped file with
a reason, not a swollen or failed indexing run.

Refused: packages of too many members, a member that inflates more than MAX_RATIO times (deflate reaches ~1000x on
repeated markup: a 67 KB .docx held 69 MB of XML and took 45 s and +763 MB to parse), more XML than MAX_XML_BYTES or
more tags than MAX_TAGS in the parts parsers build trees from (what a parser's memory grows with), and any DTD
(entity expansion: Office files never carry one; the defusedxml rule). The members are streamed through zlib in
blocks, never held whole. Written by hand because defusedxml guards one parser call and not a zip package, and the
Office libraries parse through lxml without it. What passes is bounded by MAX_TAGS (python-docx: about 8 s and 310 MB at
1,000,000 tags on a 2-core VM) and then by the reader's time and memory budget (ragkit.ingest.reader), which stops
what no static check sees (a table cell spanning billions of grid columns).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from ragkit.errors import SkipFile

KINDS = {".docx": "Word", ".xlsx": "Excel", ".pptx": "PowerPoint"}
"""Suffixes checked, and how the reasons name them."""
MAX_MEMBERS = 10_000
"""Most members of one package (a large deck has a few hundred)."""
MAX_RATIO = 100
"""Largest uncompressed/compressed size of a member over RATIO_FROM bytes (real Office XML: 3-30x)."""
RATIO_FROM = 1 << 20
MAX_UNPACKED_BYTES = 256 << 20
"""Largest total uncompressed size of all members (images included)."""
MAX_XML_BYTES = 64 << 20
"""Largest total uncompressed size of the XML parts."""
MAX_TAGS = 1_000_000
"""Most markup tags ('<') in the XML parts: a 300-page report has a few hundred thousand; python-docx took 20 s
and 480 MB for 2,000,000."""

_BLOCK = 1 << 16
_DTD_MARKS = tuple(mark.encode(codec) for mark in ("<!DOCTYPE", "<!ENTITY") for codec in ("ascii", "utf-16-le",
                                                                                        "utf-16-be"))


def check_office(path: Path) -> None:
    """SkipFile with the reason when an Office file's package could be a decompression or entity bomb; nothing
    for other suffixes (and for files that are not zips: the loader says they are corrupt)."""
    kind = KINDS.get(path.suffix.lower())
    if kind is None or not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as package:
            _check(package, kind)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError) as exc:
        raise SkipFile(f"corrupt {kind} file ({type(exc).__name__}: {exc})") from exc


def _check(package: zipfile.ZipFile, kind: str) -> None:
    members = package.infolist()
    if len(members) > MAX_MEMBERS:
        raise SkipFile(f"{kind} file has {len(members):,} parts, more than the limit of {MAX_MEMBERS:,}")
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise SkipFile(f"{kind} file unpacks to {unpacked:,} bytes, more than the limit of {MAX_UNPACKED_BYTES:,}")
    for member in members:
        if member.file_size > RATIO_FROM and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise SkipFile(f"{kind} file part {member.filename[:80]!r} inflates {member.file_size:,} bytes from "
                           f"{member.compress_size:,} (more than {MAX_RATIO}x): a decompression bomb")
    xml = [m for m in members if m.filename.lower().endswith((".xml", ".rels", ".vml"))]
    xml_bytes = sum(m.file_size for m in xml)
    if xml_bytes > MAX_XML_BYTES:
        raise SkipFile(f"{kind} file holds {xml_bytes:,} bytes of XML, more than the limit of {MAX_XML_BYTES:,}")
    tags = 0
    for member in xml:
        tags += _scan(package, member, kind)
        if tags > MAX_TAGS:
            raise SkipFile(f"{kind} file has more than {MAX_TAGS:,} XML tags: too large to parse safely")


def _scan(package: zipfile.ZipFile, member: zipfile.ZipInfo, kind: str) -> int:
    """The member's tag count, read in blocks (its real size is bounded by the header's: zipfile checks); SkipFile
    for a DTD."""
    tags, tail = 0, b""
    with package.open(member) as stream:
        while block := stream.read(_BLOCK):
            window = tail + block
            if any(mark in window for mark in _DTD_MARKS):
                raise SkipFile(f"{kind} file part {member.filename[:80]!r} declares a DTD or entities "
                               "(never in Office files; refused against entity expansion)")
            tags += block.count(b"<")  # UTF-16 markup too
            tail = window[-32:]
    return tags


def parser_errors() -> tuple[type[BaseException], ...]:
    """What a parser raises on crafted input beyond its loader's own list: lxml's errors (python-docx's XPath on a
    huge tree raised XPathEvalError) and running out of memory."""
    try:
        from lxml.etree import Error as LxmlError
    except ImportError:
        return (MemoryError,)
    return (MemoryError, LxmlError)
