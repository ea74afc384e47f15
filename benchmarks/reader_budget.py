"""The reader budget against a .docx bomb no static check sees: one table cell spanning `--span` grid columns
(python-docx lists the cell once per column), indexed beside a normal .docx with the budget (the default) and
without it (`IndexSettings(reader=None)`), each in a fresh process. Prints wall seconds, the indexer's peak RSS
and what happened to the bomb, and the ratios.

    .venv/bin/python benchmarks/reader_budget.py [--span 300000000]   # ~2.9 GB unbudgeted at the default
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
HERE = Path(__file__).resolve().parents[1]


def one(folder: Path, budget: bool) -> dict[str, object]:
    """Index folder into a fresh index in this process; wall s, peak RSS MB, files indexed, skip reasons."""
    from ragkit.embeddings import HashingEmbeddings
    from ragkit.indexing import Indexer
    from ragkit.settings import IndexSettings, ReaderBudget

    settings = IndexSettings(language="en", reader=ReaderBudget() if budget else None)
    started = time.perf_counter()
    report = Indexer(folder.parent / f"index-{budget}", HashingEmbeddings(), settings).run([folder])
    return {"seconds": time.perf_counter() - started, "indexed": report.indexed_files,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "skipped": [reason for _, reason in report.skipped]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--span", type=int, default=300_000_000)
    parser.add_argument("--side", choices=["budget", "none"], help=argparse.SUPPRESS)  # the child run
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(json.dumps(one(args.folder, args.side == "budget")))
        return 0
    sys.path.insert(0, str(HERE))
    from tests.office_bombs import real_docx, span_bomb

    with tempfile.TemporaryDirectory(prefix="ragkit-reader-budget-") as name:
        folder = Path(name) / "docs"
        folder.mkdir()
        bomb = span_bomb(folder / "span.docx", args.span)
        real_docx(folder / "policy.docx")
        print(f"bomb: {bomb.stat().st_size:,} bytes, one cell spanning {args.span:,} columns", flush=True)
        results = {}
        for side in ("budget", "none"):
            done = subprocess.run([sys.executable, __file__, "--side", side, "--folder", str(folder)], cwd=HERE,
                                  capture_output=True, text=True, check=True)
            results[side] = json.loads(done.stdout.strip().splitlines()[-1])
            r = results[side]
            print(f"{'budget' if side == 'budget' else 'no budget'}: {r['seconds']:.1f} s, peak RSS {r['rss_mb']:,.0f} MB, "
                  f"{r['indexed']} indexed, skipped: {r['skipped'] or 'none'}", flush=True)
    budget, none = results["budget"], results["none"]
    print(f"budget/none: time {budget['seconds'] / none['seconds']:.2f}x, peak RSS {budget['rss_mb'] / none['rss_mb']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
