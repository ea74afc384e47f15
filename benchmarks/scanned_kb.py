"""The Chinese example knowledge base as scans: answer quality when every file of examples/kb-zh exists only as page
images (the .docx, the .txt and the PDF as image-only A4 PDFs, the .md as a PNG; WenQuanYi Micro Hei, black on
white), indexed and asked with the defaults, scored like benchmarks/answer_quality.py --set zh (right: the gold
stated and the scanned file cited).

    .venv/bin/python benchmarks/scanned_kb.py [--limit N] [--look clean|photo-like]   # index + ask, print the table
    .venv/bin/python benchmarks/scanned_kb.py --write /tmp/kb-zh-scanned                  # only write the scans
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from answer_quality import ZH_KB, ZH_QUESTIONS, _kb_run  # noqa: E402

from ragkit.eval.breakdown import table_lines  # noqa: E402
from ragkit.eval.qa import jsonl_items  # noqa: E402
from ragkit.eval.scans import Look, render_pages, save_pdf  # noqa: E402
from ragkit.ingest import load_file  # noqa: E402

LOOKS = {"clean": Look(points=12, dpi=200), "photo-like": Look(points=12, dpi=200, noise=20, blur=1.0, skew=1.5)}


def write_scans(folder: Path, look: Look) -> dict[str, Path]:
    """Scans of each example file (its loaded text, table cells spaced apart as printed); original name -> scan."""
    folder.mkdir(parents=True, exist_ok=True)
    scans = {}
    for path in sorted(ZH_KB.iterdir()):
        text = "\n\n".join(page.text for page in load_file(path)).replace(" | ", "    ")
        text = "\n".join(line.lstrip("#").strip() for line in text.splitlines())  # Markdown as printed
        pages = render_pages(text, look)
        if path.suffix == ".md":
            scans[path.name] = folder / f"{path.stem}.png"
            pages[0].save(scans[path.name])
        else:
            scans[path.name] = save_pdf(pages, folder / f"{path.stem}.pdf", look.dpi)
    return scans


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--look", choices=list(LOOKS), default="clean")
    parser.add_argument("--limit", type=int, default=None, help="ask only the first N questions (shuffled)")
    parser.add_argument("--write", type=Path, default=None, help="write the scans to this folder and stop")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "ragkit-scanned-kb")
    args = parser.parse_args()
    look = LOOKS[args.look]
    if args.write is not None:
        for original, scan in write_scans(args.write, look).items():
            print(f"{original} -> {scan}")
        return 0
    with tempfile.TemporaryDirectory(prefix="ragkit-scanned-") as name:
        tmp = Path(name)
        scans = write_scans(tmp / "kb-zh-scanned", look)
        items = [replace(item, gold=scans[item.gold].name) if item.gold else item for item in jsonl_items(ZH_QUESTIONS)]
        result, _ = _kb_run(f"zh-scanned-{args.look}", list(scans.values()), items, tmp, args.out, args.limit)
    print("\n".join(table_lines([result])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
