"""Office files built by the tests: a small real .docx, and bombs made from it (its document part swollen by
repeated markup, given a DTD with entities, or a table cell spanning billions of grid columns)."""

from __future__ import annotations

import zipfile
from pathlib import Path

PARAGRAPH = b"<w:p><w:r><w:t>boom</w:t></w:r></w:p>"


def real_docx(path: Path, text: str = "The hotel cap is 180 EUR a night.") -> Path:
    """A .docx made by python-docx with one paragraph."""
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    document.save(str(path))
    return path


def docx_bomb(path: Path, paragraphs: int = 2_000_000, dtd: bool = False) -> Path:
    """A real .docx whose word/document.xml holds `paragraphs` repeated paragraphs (76 MB of XML in a 0.25 MB file
    at 2,000,000), or (dtd=True) declares a billion-laughs entity chain instead."""
    source = real_docx(path.with_name("source-" + path.name))
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for member in original.infolist():
            data = original.read(member)
            if member.filename == "word/document.xml":
                head, _, rest = data.partition(b"<w:body>")
                if dtd:
                    laughs = b"".join(b'<!ENTITY l%d "&l%d;&l%d;&l%d;&l%d;">' % (i + 1, i, i, i, i) for i in range(9))
                    declaration, _, root = head.partition(b"?>")
                    head = declaration + b'?><!DOCTYPE d [<!ENTITY l0 "lol">' + laughs + b"]>" + root
                    data = head + b"<w:body><w:p><w:r><w:t>&l9;</w:t></w:r></w:p>" + rest
                else:
                    data = head + b"<w:body>" + PARAGRAPH * paragraphs + rest
            bomb.writestr(member, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    source.unlink()
    return path


def span_bomb(path: Path, span: int = 2_000_000_000) -> Path:
    """A 37 KB .docx (python-docx's template) that passes every static check but whose one table cell spans `span` grid columns: python-docx
    lists the cell once per column it spans (16 GB of references at the default), so only a memory budget stops it."""
    import docx
    from docx.oxml.ns import qn

    document = docx.Document()
    document.add_paragraph("A table follows.")
    table = document.add_table(rows=2, cols=1)
    table.cell(0, 0).text, table.cell(1, 0).text = "Item", "Cost"
    properties = table.rows[1].cells[0]._tc.get_or_add_tcPr()
    properties.append(properties.makeelement(qn("w:gridSpan"), {qn("w:val"): str(span)}))
    document.save(str(path))
    return path
