"""Index time of a text-only corpus (text PDFs, .docx, .txt: no scans) in this checkout against another one (e.g.
the commit before OCR, tables and the reader budget came in), same corpus, same embedder, same machine, one run.

The corpus is the SQuAD part A articles (../shared/data/squad), each written as a text PDF (reportlab), a .docx and
a .txt. Both sides run `ragkit index` in a fresh process into a fresh index, alternating, `--runs` times; the
medians and their ratio are printed.

    .venv/bin/python benchmarks/text_index_time.py --before /tmp/before [--articles 24] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ragkit.eval.data import shared_data_or_say  # noqa: E402

HERE = Path(__file__).resolve().parents[1]


def write_corpus(folder: Path, articles: int) -> int:
    """Each article as article-N.pdf, .docx and .txt; the number of files written."""
    import docx
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    squad = shared_data_or_say("squad") / "dev-v1.1-part-a.json"
    data = json.loads(squad.read_text(encoding="utf-8"))["data"][:articles]
    style = getSampleStyleSheet()["BodyText"]
    folder.mkdir(parents=True, exist_ok=True)
    for n, article in enumerate(data, start=1):
        paragraphs = [p["context"] for p in article["paragraphs"]]
        kind = n % 3
        if kind == 0:
            SimpleDocTemplate(str(folder / f"article-{n}.pdf"), pagesize=A4).build(
                [Paragraph(text.replace("&", "&amp;").replace("<", "&lt;"), style) for text in paragraphs])
        elif kind == 1:
            document = docx.Document()
            for text in paragraphs:
                document.add_paragraph(text)
            document.save(str(folder / f"article-{n}.docx"))
        else:
            (folder / f"article-{n}.txt").write_text("\n\n".join(paragraphs), encoding="utf-8")
    return len(data)


def index_seconds(checkout: Path, corpus: Path, index: Path) -> float:
    """Wall seconds of `ragkit index corpus` run from checkout (its code, this interpreter) into a fresh index."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "RAGKIT_INDEXES": str(index.parent)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "ragkit.cli", "index", str(corpus), "--index", index.name],
                          cwd=checkout, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: ragkit index failed: {done.stderr.strip().splitlines()[-1:]}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the other checkout (a git worktree)")
    parser.add_argument("--articles", type=int, default=24)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ragkit-text-index-") as name:
        tmp = Path(name)
        files = write_corpus(tmp / "corpus", args.articles)
        times: dict[str, list[float]] = {"before": [], "now": []}
        for run in range(args.runs):
            for side, checkout in (("before", args.before.resolve()), ("now", HERE)):
                seconds = index_seconds(checkout, tmp / "corpus", tmp / f"home-{side}-{run}" / "index")
                times[side].append(seconds)
                print(f"run {run + 1}/{args.runs} {side}: {seconds:.2f} s", flush=True)
        before, now = (statistics.median(times[side]) for side in ("before", "now"))
        print(f"{files} files (PDF, .docx, .txt; no scans), median of {args.runs}: before {before:.2f} s, "
              f"now {now:.2f} s, now/before {now / before:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
