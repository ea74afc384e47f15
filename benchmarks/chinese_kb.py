"""Chinese knowledge-base answers end to end: `ragkit index` + default `ragkit ask` over 27 plain-text sections of
the Chinese KiCad manual, scored on questions written for ragkit (benchmarks/data/kicad_zh.json).

A question counts as right when the answer cites the section holding it and states a gold string (spaces removed,
case-folded); unanswerable questions count as refused when the answer is the no-answer reply. The manual comes from
Debian's kicad-doc-zh (`apt-get install kicad-doc-zh`); it is cut into a temporary folder, never copied into the repo.

    .venv/bin/python benchmarks/chinese_kb.py [--model PRESET] [--limit N]
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ragkit import NOT_FOUND_ZH, KnowledgeBase  # noqa: E402

MANUAL = Path("/usr/share/doc/kicad/help/zh")
QUESTIONS = Path(__file__).resolve().parent / "data" / "kicad_zh.json"
SECTIONS = 27
_HEADING = re.compile(r"<h([234])[^>]*>(.*?)</h\1>", re.S)
_TAG = re.compile(r"<[^>]+>")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def sections(page: Path) -> list[tuple[str, str]]:
    """(title, text) of each h2-h4 section of an HTML manual page, tags stripped."""
    parts = _HEADING.split(page.read_text(encoding="utf-8"))
    found = []
    for i in range(1, len(parts) - 2, 3):
        title = html.unescape(_TAG.sub("", parts[i + 1])).strip()
        body = re.sub(r"<(script|style).*?</\1>", "", parts[i + 2], flags=re.S)
        body = re.sub(r"\n\s*\n+", "\n\n", re.sub(r"[ \t]+", " ", html.unescape(_TAG.sub("", body)))).strip()
        found.append((title, body))
    return found


def write_corpus(folder: Path) -> list[Path]:
    """The first 27 sections (in file order) that are mostly Chinese and over 400 Han characters, one .txt each."""
    files: list[Path] = []
    for page in sorted(MANUAL.glob("*.html")):
        for title, body in sections(page):
            han = len(_HAN.findall(body))
            if han > 400 and han / len(body) > 0.3 and len(files) < SECTIONS:
                name = re.sub(r"[^\w.]+", "-", title).strip("-")
                path = folder / f"{len(files) + 1:02d}-{name}.txt"
                path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
                files.append(path)
    return files


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model preset or GGUF path (default: ragkit's default)")
    parser.add_argument("--limit", type=int, default=None, help="ask only the first N answerable questions")
    args = parser.parse_args()
    if not MANUAL.is_dir():
        print(f"skipped: the Chinese KiCad manual is not installed ({MANUAL}); apt-get install kicad-doc-zh")
        return 0
    data = json.loads(QUESTIONS.read_text(encoding="utf-8"))
    questions = data["questions"][: args.limit]
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} before")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "kicad-zh"
        folder.mkdir()
        files = write_corpus(folder)
        if len(files) < SECTIONS:
            print(f"skipped: only {len(files)} Chinese sections found under {MANUAL}")
            return 0
        kb = KnowledgeBase(path=Path(tmp) / "index", llm=args.model)
        started = time.perf_counter()
        report = kb.index([folder])
        print(f"indexed {len(files)} files, {report.chunks} chunks in {time.perf_counter() - started:.1f} s; "
              f"embedder {kb.manifest().embedder}, settings {kb.manifest().settings}")
        right, seconds = 0, []
        for number, item in enumerate(questions, start=1):
            started = time.perf_counter()
            answer = kb.ask(item["q"])
            seconds.append(time.perf_counter() - started)
            target = files[item["file"] - 1].name
            cited = any(Path(c.source).name == target for c in answer.citations)
            stated = any(squeezed(gold) in squeezed(answer.text) for gold in item["answers"])
            right += cited and stated
            flags = f"{'cited' if cited else 'NOT cited'}, {'stated' if stated else 'NOT stated'}"
            flags += f", guardrail quote of the reply {answer.generated!r}" if answer.extractive else ""
            print(f"{number:2d}. {item['q']}\n    -> {answer.text!r} [{flags}; {seconds[-1]:.1f} s]")
        refused = 0
        for question in data["unanswerable"]:
            answer = kb.ask(question)
            refused += answer.text.strip() == NOT_FOUND_ZH
            print(f"unanswerable: {question}\n    -> {answer.text!r}")
    print(f"\nright (cited + stated): {right}/{len(questions)}; unanswerable refused: {refused}/"
          f"{len(data['unanswerable'])}; median {sorted(seconds)[len(seconds) // 2]:.1f} s per answer; "
          f"load average {os.getloadavg()[0]:.2f} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
